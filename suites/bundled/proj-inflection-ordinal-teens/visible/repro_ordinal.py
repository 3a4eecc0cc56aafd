"""Reproduction for the ordinal bug report."""
import inflection

for number, expected in [(1, "1st"), (11, "11th"), (12, "12th"), (113, "113th")]:
    got = inflection.ordinalize(number)
    assert got == expected, f"ordinalize({number}) = {got!r}, expected {expected!r}"
print("ok")
