"""Small descriptive statistics helpers (no third-party dependencies)."""

import math
from collections import Counter


def mean(values):
    """Arithmetic mean of a non-empty sequence of numbers."""
    if not values:
        raise ValueError("mean() of empty data")
    return sum(values) / len(values)


def median(values):
    """Middle value of the data.

    For an even number of values the mean of the two middle values is
    returned, so the result may not be a member of the data.
    """
    if not values:
        raise ValueError("median() of empty data")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid] + ordered[mid + 1]) / 2


def mode(values):
    """Most common value; ties are broken by first appearance."""
    if not values:
        raise ValueError("mode() of empty data")
    counts = Counter(values)
    best = max(counts.values())
    for value in values:
        if counts[value] == best:
            return value


def variance(values):
    """Sample variance (n - 1 in the denominator)."""
    if len(values) < 2:
        raise ValueError("variance() needs at least two values")
    m = mean(values)
    return sum((x - m) ** 2 for x in values) / (len(values) - 1)


def stdev(values):
    """Sample standard deviation."""
    return math.sqrt(variance(values))
