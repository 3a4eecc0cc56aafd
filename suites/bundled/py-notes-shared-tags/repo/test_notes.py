import unittest

from notebook import Notebook


class NotebookTest(unittest.TestCase):
    def test_tags_are_per_note(self):
        nb = Notebook()
        a = nb.add("groceries")
        b = nb.add("standup notes")
        b.tag("work")
        self.assertEqual(a.tags, [])
        self.assertEqual(nb.by_tag("work"), [b])

    def test_search(self):
        nb = Notebook()
        nb.add("Dentist", "tuesday 10am")
        self.assertEqual(len(nb.search("TUESDAY")), 1)


if __name__ == "__main__":
    unittest.main()
