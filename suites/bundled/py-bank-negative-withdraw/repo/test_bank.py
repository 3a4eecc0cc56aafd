import unittest

from bank import Account, InsufficientFunds, transfer


class BankTest(unittest.TestCase):
    def test_withdraw(self):
        a = Account("ann", 100)
        a.withdraw(30)
        self.assertEqual(a.balance, 70)

    def test_overdraw(self):
        with self.assertRaises(InsufficientFunds):
            Account("ann", 10).withdraw(11)

    def test_negative_withdraw(self):
        a = Account("ann", 100)
        with self.assertRaises(ValueError):
            a.withdraw(-50)
        self.assertEqual(a.balance, 100)

    def test_transfer(self):
        a, b = Account("a", 50), Account("b")
        transfer(a, b, 20)
        self.assertEqual((a.balance, b.balance), (30, 20))


if __name__ == "__main__":
    unittest.main()
