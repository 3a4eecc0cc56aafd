import unittest

from bank import Account, transfer


class HiddenBank(unittest.TestCase):
    def test_zero_and_negative(self):
        for amount in (0, -1, -100):
            a = Account("ann", 100)
            with self.assertRaises(ValueError):
                a.withdraw(amount)
            self.assertEqual((a.balance, a.history), (100, []))

    def test_negative_transfer(self):
        a, b = Account("a", 100), Account("b", 100)
        with self.assertRaises(ValueError):
            transfer(a, b, -100)
        self.assertEqual((a.balance, b.balance), (100, 100))
        self.assertEqual((a.history, b.history), ([], []))

    def test_exact_balance(self):
        a = Account("a", 40)
        a.withdraw(40)
        self.assertEqual(a.balance, 0)
        self.assertEqual(a.history, [("withdraw", 40)])


if __name__ == "__main__":
    unittest.main()
