import unittest

from stats import median


class HiddenMedian(unittest.TestCase):
    def test_even_sizes(self):
        self.assertEqual(median([4, 1, 3, 2]), 2.5)
        self.assertEqual(median([10, 20]), 15)
        self.assertEqual(median([-5, -1, 0, 7, 8, 100]), 3.5)
        self.assertEqual(median([1.5, 2.5, 3.5, 4.5]), 3.0)
        self.assertEqual(median([2, 2, 2, 2]), 2)

    def test_odd_sizes(self):
        self.assertEqual(median([7]), 7)
        self.assertEqual(median([5, 3, 1, 4, 2]), 3)

    def test_empty(self):
        with self.assertRaises(ValueError):
            median([])


if __name__ == "__main__":
    unittest.main()
