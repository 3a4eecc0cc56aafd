import unittest

from wordcount import count_words, top_words, words


class HiddenWordCount(unittest.TestCase):
    def test_words(self):
        self.assertEqual(words("Don't STOP me-now"), ["don't", "stop", "me", "now"])
        self.assertEqual(words(""), [])

    def test_counts(self):
        c = count_words("Apple apple APPLE banana", stop_words=["Banana"])
        self.assertEqual(dict(c), {"apple": 3})

    def test_top(self):
        text = "B a b A c C b"
        self.assertEqual(top_words(text, 2), [("b", 3), ("a", 2)])
        self.assertEqual(top_words("Zed", 5), [("zed", 1)])


if __name__ == "__main__":
    unittest.main()
