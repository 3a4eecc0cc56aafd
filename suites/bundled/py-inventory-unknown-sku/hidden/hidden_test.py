import unittest

from inventory import Inventory


class HiddenInventory(unittest.TestCase):
    def test_unknown_sku_various(self):
        inv = Inventory()
        inv.add("A", 5)
        for qty in (1, 2, 10):
            self.assertFalse(inv.remove("NOPE", qty))
        self.assertEqual(inv.quantity("NOPE"), 0)
        self.assertEqual(inv.low_stock(), ["A"])

    def test_removed_to_zero_then_again(self):
        inv = Inventory()
        inv.add("A", 2)
        self.assertTrue(inv.remove("A", 2))
        self.assertFalse(inv.remove("A", 1))
        self.assertEqual(inv.quantity("A"), 0)

    def test_still_validates(self):
        inv = Inventory()
        with self.assertRaises(ValueError):
            inv.remove("A", 0)


if __name__ == "__main__":
    unittest.main()
