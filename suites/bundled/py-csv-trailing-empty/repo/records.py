"""Turn CSV text into a list of dicts keyed by the header row."""

from csvline import parse_line


def read_records(text, delimiter=","):
    lines = [l for l in text.splitlines()]
    rows = []
    header = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = parse_line(line, delimiter)
        if header is None:
            header = fields
            continue
        if len(fields) != len(header):
            raise ValueError(
                f"line {number} has {len(fields)} fields, expected {len(header)}")
        rows.append(dict(zip(header, fields)))
    return rows
