import unittest

import config
from settings import DEFAULTS


class HiddenConfig(unittest.TestCase):
    def test_defaults_complete(self):
        self.assertEqual(DEFAULTS["log_level"], "info")
        self.assertEqual(DEFAULTS["timeout"], 30.0)
        self.assertEqual(len(DEFAULTS), 7)

    def test_types(self):
        c = config.load("timeout = 2.5\nallowed_origins = a.com, b.com\nlog_level = debug # verbose\n")
        self.assertEqual(c["timeout"], 2.5)
        self.assertEqual(c["allowed_origins"], ["a.com", "b.com"])
        self.assertEqual(c["log_level"], "debug")

    def test_errors(self):
        with self.assertRaises(KeyError):
            config.load("colour = red")
        with self.assertRaises(ValueError):
            config.load("debug = maybe")


if __name__ == "__main__":
    unittest.main()
