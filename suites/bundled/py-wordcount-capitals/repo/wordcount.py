"""Count word frequencies in text (case-insensitive)."""

import re
import sys
from collections import Counter

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def words(text):
    """Split text into lowercase words; apostrophes inside words are kept."""
    return _WORD.findall(text)


def count_words(text, stop_words=()):
    stop = {w.lower() for w in stop_words}
    return Counter(w for w in words(text) if w not in stop)


def top_words(text, n=10, stop_words=()):
    """The n most common words, ties broken alphabetically."""
    counts = count_words(text, stop_words)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:n]


def main(argv):
    path = argv[1]
    n = int(argv[2]) if len(argv) > 2 else 10
    with open(path, encoding="utf-8") as fh:
        for word, count in top_words(fh.read(), n):
            print(f"{count:6d} {word}")


if __name__ == "__main__":
    main(sys.argv)
