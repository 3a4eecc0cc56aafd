import unittest

from csvline import parse_line
from records import read_records


class HiddenCsv(unittest.TestCase):
    def test_edges(self):
        self.assertEqual(parse_line(","), ["", ""])
        self.assertEqual(parse_line("x,\"\""), ["x", ""])
        self.assertEqual(parse_line('""'), [""])
        self.assertEqual(parse_line("a,,b"), ["a", "", "b"])
        self.assertEqual(parse_line("a;b;", delimiter=";"), ["a", "b", ""])
        self.assertEqual(parse_line('"say ""hi""",x'), ['say "hi"', "x"])

    def test_records(self):
        text = "a,b\n1,\n,\n\n3,4\n"
        self.assertEqual(read_records(text),
                         [{"a": "1", "b": ""}, {"a": "", "b": ""}, {"a": "3", "b": "4"}])

    def test_mismatch_still_reported(self):
        with self.assertRaises(ValueError):
            read_records("a,b,c\n1,2\n")


if __name__ == "__main__":
    unittest.main()
