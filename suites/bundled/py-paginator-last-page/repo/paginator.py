"""Split a list of items into numbered pages (1-based)."""


class Paginator:
    def __init__(self, items, per_page=10):
        if per_page < 1:
            raise ValueError("per_page must be at least 1")
        self.items = list(items)
        self.per_page = per_page

    @property
    def count(self):
        return len(self.items)

    @property
    def num_pages(self):
        """Number of pages; an empty list still has one (empty) page."""
        return max(1, self.count // self.per_page)

    def page(self, number):
        """Items on page `number` (1-based)."""
        if number < 1 or number > self.num_pages:
            raise IndexError(f"page {number} out of range 1..{self.num_pages}")
        start = (number - 1) * self.per_page
        return self.items[start:start + self.per_page]

    def has_next(self, number):
        return number < self.num_pages

    def has_previous(self, number):
        return number > 1

    def page_range(self):
        return range(1, self.num_pages + 1)
