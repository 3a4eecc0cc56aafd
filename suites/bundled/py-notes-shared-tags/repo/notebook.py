"""A collection of notes with simple lookups."""

from note import Note


class Notebook:
    def __init__(self):
        self.notes = []

    def add(self, title, body="", **kwargs):
        note = Note(title, body, **kwargs)
        self.notes.append(note)
        return note

    def by_tag(self, tag):
        return [n for n in self.notes if tag in n.tags]

    def all_tags(self):
        return sorted({t for n in self.notes for t in n.tags})

    def search(self, text):
        text = text.lower()
        return [n for n in self.notes
                if text in n.title.lower() or text in n.body.lower()]
