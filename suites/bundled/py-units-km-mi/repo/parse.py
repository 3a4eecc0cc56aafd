"""Parse strings like '12.5 cm' into (value, unit) pairs."""

import re

from units import to_metres

_LENGTH = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(mm|cm|m|in|ft)\s*$")


def parse_length(text):
    match = _LENGTH.match(text.lower())
    if not match:
        raise ValueError(f"unrecognised length {text!r}")
    return float(match.group(1)), match.group(2)


def parse_metres(text):
    value, unit = parse_length(text)
    return to_metres(value, unit)
