"""Aggregate measurements over collections of shapes."""

from .shapes import Shape


def _check(shapes):
    for s in shapes:
        if not isinstance(s, Shape):
            raise TypeError(f"not a shape: {s!r}")
    return shapes


def total_area(shapes):
    return sum(s.area() for s in _check(list(shapes)))


def total_perimeter(shapes):
    return sum(s.perimeter() for s in _check(list(shapes)))


def largest(shapes):
    shapes = _check(list(shapes))
    if not shapes:
        return None
    return max(shapes, key=lambda s: s.area())
