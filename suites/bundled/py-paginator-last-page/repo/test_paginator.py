import unittest

from paginator import Paginator


class PaginatorTest(unittest.TestCase):
    def test_exact_multiple(self):
        p = Paginator(range(20), per_page=10)
        self.assertEqual(p.num_pages, 2)
        self.assertEqual(p.page(2), list(range(10, 20)))

    def test_partial_last_page(self):
        p = Paginator(range(25), per_page=10)
        self.assertEqual(p.num_pages, 3)
        self.assertEqual(p.page(3), [20, 21, 22, 23, 24])

    def test_empty(self):
        p = Paginator([], per_page=10)
        self.assertEqual(p.num_pages, 1)
        self.assertEqual(p.page(1), [])


if __name__ == "__main__":
    unittest.main()
