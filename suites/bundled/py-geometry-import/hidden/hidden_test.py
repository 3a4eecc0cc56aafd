import math
import unittest

import geometry
from geometry import Circle, Rectangle, Triangle, largest, total_area, total_perimeter


class HiddenGeometry(unittest.TestCase):
    def test_aggregates(self):
        shapes = [Circle(1), Rectangle(2, 3), Triangle(3, 4, 5)]
        self.assertAlmostEqual(total_area(shapes), math.pi + 6 + 6)
        self.assertAlmostEqual(total_perimeter(shapes), 2 * math.pi + 10 + 12)
        self.assertIsNone(largest([]))

    def test_type_check(self):
        with self.assertRaises(TypeError):
            total_area([Rectangle(1, 1), "square"])

    def test_exports(self):
        self.assertTrue(issubclass(Circle, geometry.BaseShape))


if __name__ == "__main__":
    unittest.main()
