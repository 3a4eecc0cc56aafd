"""A min-priority queue of job dicts."""

import heapq


class JobQueue:
    def __init__(self):
        self._heap = []

    def __len__(self):
        return len(self._heap)

    def __bool__(self):
        return bool(self._heap)

    def submit(self, job, priority=10):
        """Queue a job; lower priority values are served first."""
        heapq.heappush(self._heap, (priority, job))

    def next_job(self):
        """Remove and return the most urgent job, or None when empty."""
        if not self._heap:
            return None
        _, job = heapq.heappop(self._heap)
        return job

    def peek(self):
        if not self._heap:
            return None
        return self._heap[0][1]

    def drain(self):
        while self:
            yield self.next_job()
