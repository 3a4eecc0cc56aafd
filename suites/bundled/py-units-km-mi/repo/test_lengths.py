import unittest

from parse import parse_length, parse_metres
from units import convert


class LengthTest(unittest.TestCase):
    def test_cm(self):
        self.assertAlmostEqual(parse_metres("250 cm"), 2.5)

    def test_feet(self):
        self.assertEqual(parse_length("3ft"), (3.0, "ft"))

    def test_km(self):
        self.assertAlmostEqual(parse_metres("5 km"), 5000)

    def test_miles(self):
        self.assertAlmostEqual(convert(1, "mi", "km"), 1.609344)


if __name__ == "__main__":
    unittest.main()
