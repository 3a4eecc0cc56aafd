"""A small least-recently-used cache with hit/miss counters."""

from collections import OrderedDict


class LRUCache:
    def __init__(self, capacity=128):
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._data = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data

    def get(self, key, default=None):
        """Return the cached value and mark it as most recently used."""
        if key not in self._data:
            self.misses += 1
            return default
        self.hits += 1
        return self._data[key]

    def put(self, key, value):
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def keys(self):
        """Keys from least to most recently used."""
        return list(self._data)


def cached(cache):
    """Decorator memoising a one-argument function in `cache`."""
    def wrap(fn):
        def inner(arg):
            sentinel = object()
            value = cache.get(arg, sentinel)
            if value is sentinel:
                value = fn(arg)
                cache.put(arg, value)
            return value
        return inner
    return wrap
