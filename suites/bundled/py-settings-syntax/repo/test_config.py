import unittest

import config


class ConfigTest(unittest.TestCase):
    def test_defaults(self):
        self.assertEqual(config.load("")["port"], 8080)

    def test_override(self):
        c = config.load("port = 9000\ndebug = yes\n")
        self.assertEqual((c["port"], c["debug"]), (9000, True))


if __name__ == "__main__":
    unittest.main()
