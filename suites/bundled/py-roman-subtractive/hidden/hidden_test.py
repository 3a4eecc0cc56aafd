import unittest

from roman import from_roman, to_roman


class HiddenRoman(unittest.TestCase):
    def test_round_trip(self):
        for n in range(1, 4000):
            self.assertEqual(from_roman(to_roman(n)), n, n)

    def test_examples(self):
        self.assertEqual(from_roman("mcmxciv"), 1994)
        self.assertEqual(from_roman("VI"), 6)
        self.assertEqual(from_roman("XL"), 40)
        self.assertEqual(from_roman("MMMCMXCIX"), 3999)

    def test_invalid(self):
        with self.assertRaises(ValueError):
            from_roman("ABC")


if __name__ == "__main__":
    unittest.main()
