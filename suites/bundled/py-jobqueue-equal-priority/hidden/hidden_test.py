import unittest

from jobqueue import JobQueue


class HiddenJobQueue(unittest.TestCase):
    def test_fifo_within_priority(self):
        q = JobQueue()
        order = [(2, "a"), (1, "b"), (2, "c"), (1, "d"), (3, "e"), (2, "f")]
        for prio, name in order:
            q.submit({"name": name}, prio)
        self.assertEqual(q.peek()["name"], "b")
        self.assertEqual([j["name"] for j in q.drain()], ["b", "d", "a", "c", "f", "e"])
        self.assertIsNone(q.next_job())

    def test_default_priority(self):
        q = JobQueue()
        for i in range(20):
            q.submit({"i": i})
        self.assertEqual([j["i"] for j in q.drain()], list(range(20)))

    def test_interleaved(self):
        q = JobQueue()
        q.submit({"n": 1}, 1)
        q.submit({"n": 2}, 1)
        self.assertEqual(q.next_job()["n"], 1)
        q.submit({"n": 3}, 1)
        self.assertEqual([j["n"] for j in q.drain()], [2, 3])


if __name__ == "__main__":
    unittest.main()
