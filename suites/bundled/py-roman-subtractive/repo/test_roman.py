import unittest

from roman import from_roman, to_roman


class RomanTest(unittest.TestCase):
    def test_to_roman(self):
        self.assertEqual(to_roman(1994), "MCMXCIV")
        self.assertEqual(to_roman(4), "IV")

    def test_from_roman(self):
        self.assertEqual(from_roman("III"), 3)
        self.assertEqual(from_roman("XIV"), 14)


if __name__ == "__main__":
    unittest.main()
