"""Convert between integers and Roman numerals (1..3999)."""

_TABLE = [
    ("M", 1000), ("CM", 900), ("D", 500), ("CD", 400),
    ("C", 100), ("XC", 90), ("L", 50), ("XL", 40),
    ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1),
]

_SYMBOLS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def to_roman(number):
    """Return the Roman numeral for 1 <= number <= 3999."""
    if not isinstance(number, int) or not 0 < number < 4000:
        raise ValueError(f"cannot convert {number!r} to a Roman numeral")
    parts = []
    for symbol, value in _TABLE:
        while number >= value:
            parts.append(symbol)
            number -= value
    return "".join(parts)


def from_roman(numeral):
    """Parse a Roman numeral (case-insensitive) into an int."""
    text = numeral.strip().upper()
    if not text:
        raise ValueError("empty numeral")
    total = 0
    for i, ch in enumerate(text):
        if ch not in _SYMBOLS:
            raise ValueError(f"invalid character {ch!r} in {numeral!r}")
        value = _SYMBOLS[ch]
        following = _SYMBOLS.get(text[i + 1], 0) if i + 1 < len(text) else 0
        if value > following:
            total -= value
        else:
            total += value
    return total
