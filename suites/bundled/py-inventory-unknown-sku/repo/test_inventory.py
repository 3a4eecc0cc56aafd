import unittest

from inventory import Inventory
from orders import fulfil


class InventoryTest(unittest.TestCase):
    def test_add_remove(self):
        inv = Inventory()
        inv.add("SKU-1", 3)
        self.assertTrue(inv.remove("SKU-1", 2))
        self.assertEqual(inv.quantity("SKU-1"), 1)

    def test_not_enough(self):
        inv = Inventory()
        inv.add("SKU-1", 1)
        self.assertFalse(inv.remove("SKU-1", 2))

    def test_unknown_sku(self):
        inv = Inventory()
        self.assertFalse(inv.remove("SKU-404"))

    def test_fulfil(self):
        inv = Inventory()
        inv.add("A", 2)
        self.assertEqual(fulfil(inv, [("A", 1), ("B", 1)]), ["B"])
        self.assertEqual(inv.quantity("A"), 2)


if __name__ == "__main__":
    unittest.main()
