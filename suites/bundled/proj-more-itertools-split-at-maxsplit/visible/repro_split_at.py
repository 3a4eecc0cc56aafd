"""Reproduction for split_at(..., maxsplit=2)."""
from more_itertools import split_at

got = list(split_at(range(10), lambda n: n % 2 == 1, maxsplit=2))
expected = [[0], [2], [4, 5, 6, 7, 8, 9]]
assert got == expected, f"got {got}, expected {expected}"
print("ok")
