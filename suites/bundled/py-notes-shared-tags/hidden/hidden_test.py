import unittest

from note import Note
from notebook import Notebook


class HiddenNotes(unittest.TestCase):
    def test_independent_defaults(self):
        notes = [Note(f"n{i}") for i in range(3)]
        notes[0].tag("a")
        notes[2].tag("b", "B ")
        self.assertEqual([n.tags for n in notes], [["a"], [], ["b"]])

    def test_explicit_tags(self):
        n = Note("x", tags=["home"])
        n.tag("home", "urgent")
        self.assertEqual(n.tags, ["home", "urgent"])

    def test_notebook(self):
        nb = Notebook()
        x = nb.add("x")
        y = nb.add("y")
        x.tag("red")
        y.tag("blue")
        self.assertEqual(nb.all_tags(), ["blue", "red"])
        self.assertEqual(nb.by_tag("red"), [x])
        x.untag("red")
        self.assertEqual(nb.by_tag("red"), [])


if __name__ == "__main__":
    unittest.main()
