import unittest

from wordcount import top_words, words


class WordCountTest(unittest.TestCase):
    def test_lowercase(self):
        self.assertEqual(words("a cat's toy"), ["a", "cat's", "toy"])

    def test_mixed_case(self):
        self.assertEqual(top_words("The cat. The dog."),
                         [("the", 2), ("cat", 1), ("dog", 1)])


if __name__ == "__main__":
    unittest.main()
