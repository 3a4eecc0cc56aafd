"""Order fulfilment on top of Inventory."""


def fulfil(inventory, order):
    """Remove every (sku, qty) line of `order`, or nothing at all.

    Returns the list of skus that could not be served (empty on success).
    """
    missing = [sku for sku, qty in order if not inventory.available(sku, qty)]
    if missing:
        return missing
    for sku, qty in order:
        inventory.remove(sku, qty)
    return []
