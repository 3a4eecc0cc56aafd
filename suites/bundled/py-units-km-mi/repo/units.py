"""Length units and their size in metres."""

METRES_PER_UNIT = {
    "mm": 0.001,
    "cm": 0.01,
    "m": 1.0,
    "in": 0.0254,
    "ft": 0.3048,
}


def to_metres(value, unit):
    try:
        return value * METRES_PER_UNIT[unit]
    except KeyError:
        raise ValueError(f"unknown unit {unit!r}") from None


def convert(value, from_unit, to_unit):
    """Convert value between any two supported units."""
    metres = to_metres(value, from_unit)
    if to_unit not in METRES_PER_UNIT:
        raise ValueError(f"unknown unit {to_unit!r}")
    return metres / METRES_PER_UNIT[to_unit]
