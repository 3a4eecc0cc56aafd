import unittest

from lru import LRUCache, cached


class HiddenLRU(unittest.TestCase):
    def test_order(self):
        c = LRUCache(3)
        for k in "abc":
            c.put(k, k.upper())
        c.get("a")
        c.get("b")
        self.assertEqual(c.keys(), ["c", "a", "b"])
        c.put("d", "D")
        self.assertEqual(c.keys(), ["a", "b", "d"])

    def test_miss_does_not_reorder(self):
        c = LRUCache(2)
        c.put("a", 1)
        c.put("b", 2)
        self.assertIsNone(c.get("zz"))
        c.put("c", 3)
        self.assertEqual(c.keys(), ["b", "c"])
        self.assertEqual((c.hits, c.misses), (0, 1))

    def test_decorator(self):
        calls = []
        cache = LRUCache(2)

        @cached(cache)
        def square(x):
            calls.append(x)
            return x * x

        for x in [1, 2, 1, 3, 1, 2]:
            square(x)
        self.assertEqual(calls, [1, 2, 3, 2])


if __name__ == "__main__":
    unittest.main()
