import unittest

from paginator import Paginator


class HiddenPaginator(unittest.TestCase):
    def test_counts(self):
        cases = [(0, 10, 1), (1, 10, 1), (9, 10, 1), (10, 10, 1), (11, 10, 2),
                 (25, 10, 3), (7, 1, 7), (7, 3, 3), (100, 7, 15)]
        for n, per, pages in cases:
            with self.subTest(n=n, per=per):
                self.assertEqual(Paginator(range(n), per_page=per).num_pages, pages)

    def test_all_items_reachable(self):
        for n in range(0, 40):
            p = Paginator(range(n), per_page=6)
            seen = [x for i in p.page_range() for x in p.page(i)]
            self.assertEqual(seen, list(range(n)))

    def test_navigation(self):
        p = Paginator(range(11), per_page=5)
        self.assertTrue(p.has_next(2))
        self.assertFalse(p.has_next(3))
        with self.assertRaises(IndexError):
            p.page(4)


if __name__ == "__main__":
    unittest.main()
