import unittest

from geometry import Circle, Rectangle, Triangle, largest, total_area


class GeometryTest(unittest.TestCase):
    def test_total_area(self):
        self.assertEqual(total_area([Rectangle(2, 3), Rectangle(1, 1)]), 7)

    def test_largest(self):
        c = Circle(2)
        self.assertIs(largest([Rectangle(1, 1), c, Triangle(3, 4, 5)]), c)
