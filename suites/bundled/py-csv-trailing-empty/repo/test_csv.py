import unittest

from csvline import parse_line
from records import read_records


class CsvTest(unittest.TestCase):
    def test_simple(self):
        self.assertEqual(parse_line("a,b,c"), ["a", "b", "c"])

    def test_quoted(self):
        self.assertEqual(parse_line('"a,b",c'), ["a,b", "c"])

    def test_trailing_empty(self):
        self.assertEqual(parse_line("a,b,"), ["a", "b", ""])

    def test_records(self):
        text = "name,age,city\nann,31,Oslo\nbob,42,\n"
        self.assertEqual(read_records(text)[1], {"name": "bob", "age": "42", "city": ""})


if __name__ == "__main__":
    unittest.main()
