import unittest

import inflection


def expected_suffix(n):
    n = abs(n)
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


class HiddenOrdinal(unittest.TestCase):
    def test_range(self):
        for n in range(-1200, 1200):
            self.assertEqual(inflection.ordinal(n), expected_suffix(n), n)
            self.assertEqual(inflection.ordinalize(n), f"{n}{expected_suffix(n)}")

    def test_docstring_examples(self):
        self.assertEqual(inflection.ordinalize(1002), "1002nd")
        self.assertEqual(inflection.ordinalize(-11), "-11th")
        self.assertEqual(inflection.ordinalize(-1021), "-1021st")
        self.assertEqual(inflection.ordinalize(111), "111th")

    def test_rest_of_library(self):
        self.assertEqual(inflection.pluralize("octopus"), "octopi")
        self.assertEqual(inflection.underscore("DeviceType"), "device_type")


if __name__ == "__main__":
    unittest.main()
