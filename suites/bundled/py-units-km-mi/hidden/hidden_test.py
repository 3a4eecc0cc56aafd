import unittest

from parse import parse_length, parse_metres
from units import convert


class HiddenLengths(unittest.TestCase):
    def test_all_units(self):
        expect = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0,
                  "in": 0.0254, "ft": 0.3048, "mi": 1609.344}
        for unit, metres in expect.items():
            with self.subTest(unit=unit):
                self.assertAlmostEqual(parse_metres(f"2 {unit}"), 2 * metres)
                self.assertAlmostEqual(parse_metres(f"2{unit.upper()}"), 2 * metres)

    def test_parse_km_mi(self):
        self.assertEqual(parse_length("0.5km"), (0.5, "km"))
        self.assertEqual(parse_length(" 26.2 mi "), (26.2, "mi"))
        self.assertEqual(parse_length("7 m"), (7.0, "m"))

    def test_convert(self):
        self.assertAlmostEqual(convert(10, "km", "mi"), 6.213711922, places=6)
        self.assertAlmostEqual(convert(5280, "ft", "mi"), 1.0)

    def test_rejects(self):
        for bad in ("5 kmm", "mi", "3 yards"):
            with self.assertRaises(ValueError):
                parse_metres(bad)


if __name__ == "__main__":
    unittest.main()
