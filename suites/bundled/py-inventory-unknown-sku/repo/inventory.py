"""Stock levels per SKU."""


class Inventory:
    def __init__(self):
        self._stock = {}

    def add(self, sku, qty=1):
        if qty <= 0:
            raise ValueError("qty must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + qty

    def remove(self, sku, qty=1):
        """Take qty units of sku off the shelf.

        Returns True on success, False (and changes nothing) when there
        are fewer than qty units in stock.
        """
        if qty <= 0:
            raise ValueError("qty must be positive")
        current = self._stock[sku]
        if current < qty:
            return False
        if current == qty:
            del self._stock[sku]
        else:
            self._stock[sku] = current - qty
        return True

    def quantity(self, sku):
        return self._stock.get(sku, 0)

    def available(self, sku, qty=1):
        return self.quantity(sku) >= qty

    def low_stock(self, threshold=5):
        return sorted(sku for sku, q in self._stock.items() if q <= threshold)
