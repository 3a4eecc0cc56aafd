import itertools
import unittest

import semver
from semver import Version

VERSIONS = ["0.9.9", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "2.0.0"]


class HiddenMatch(unittest.TestCase):
    def test_all_operators(self):
        ops = {"<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0,
               ">=": lambda c: c >= 0, "==": lambda c: c == 0, "!=": lambda c: c != 0}
        for a, b in itertools.product(VERSIONS, repeat=2):
            c = semver.compare(a, b)
            for op, want in ops.items():
                self.assertEqual(Version.parse(a).match(op + b), want(c), f"{a} {op} {b}")
                self.assertEqual(semver.match(a, op + b), want(c), f"semver.match {a} {op} {b}")

    def test_bare_version(self):
        self.assertTrue(Version.parse("4.0.4").match("4.0.4"))
        with self.assertRaises(ValueError):
            Version.parse("1.0.0").match("~1.0.0")


if __name__ == "__main__":
    unittest.main()
