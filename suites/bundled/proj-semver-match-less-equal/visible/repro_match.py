"""Reproduction for the '<=' match expression."""
from semver import Version

assert Version.parse("1.2.0").match("<=1.3.0"), "1.2.0 should match <=1.3.0"
assert not Version.parse("2.0.0").match("<=1.0.0"), "2.0.0 should not match <=1.0.0"
print("ok")
