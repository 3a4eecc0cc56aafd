import unittest

from more_itertools import split_at


def reference(items, sep, maxsplit):
    s = "".join(items)
    return [list(p) for p in s.split(sep, maxsplit)]


class HiddenSplitAt(unittest.TestCase):
    def test_like_str_split(self):
        for text in ["a,b,c,d", ",,", "abc", "", ",a,", "a,,b,c,"]:
            for maxsplit in (-1, 0, 1, 2, 3, 10):
                got = list(split_at(text, lambda c: c == ",", maxsplit=maxsplit))
                self.assertEqual(got, reference(text, ",", maxsplit), (text, maxsplit))

    def test_keep_separator(self):
        got = list(split_at("a,b,c", lambda c: c == ",", maxsplit=1, keep_separator=True))
        self.assertEqual(got, [["a"], [","], ["b", ",", "c"]])

    def test_docstring(self):
        self.assertEqual(list(split_at("abcdcba", lambda x: x == "b")), [["a"], ["c", "d", "c"], ["a"]])
        self.assertEqual(list(split_at(range(10), lambda n: n % 2 == 1, maxsplit=1)),
                         [[0], [2, 3, 4, 5, 6, 7, 8, 9]])


if __name__ == "__main__":
    unittest.main()
