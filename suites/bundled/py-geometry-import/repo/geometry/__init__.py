"""2-D shapes and helpers."""

from .shapes import BaseShape, Circle, Rectangle, Triangle
from .measure import largest, total_area, total_perimeter

__all__ = ["BaseShape", "Circle", "Rectangle", "Triangle",
           "largest", "total_area", "total_perimeter"]
