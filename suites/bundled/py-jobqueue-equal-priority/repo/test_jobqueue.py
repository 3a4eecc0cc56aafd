import unittest

from jobqueue import JobQueue


class JobQueueTest(unittest.TestCase):
    def test_priority_order(self):
        q = JobQueue()
        q.submit({"name": "low"}, 5)
        q.submit({"name": "high"}, 1)
        self.assertEqual(q.next_job()["name"], "high")

    def test_equal_priority(self):
        q = JobQueue()
        q.submit({"name": "first"}, 3)
        q.submit({"name": "second"}, 3)
        self.assertEqual([j["name"] for j in q.drain()], ["first", "second"])


if __name__ == "__main__":
    unittest.main()
