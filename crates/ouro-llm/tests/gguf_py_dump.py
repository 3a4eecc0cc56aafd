#!/usr/bin/env python3
"""Dumps a GGUF file as JSON using gguf-py (the `gguf` PyPI package), an independent reader.

Usage: gguf_py_dump.py FILE. Prints {"alignment", "data_offset", "metadata": [...],
"tensors": [...]}; tensor data is given as hex. Exits with status 3 when gguf-py is missing.
"""

import json
import sys

try:
    from gguf import GGUFReader, GGUFValueType
except ImportError as e:
    print(f"gguf-py is not installed: {e}", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    reader = GGUFReader(sys.argv[1])
    metadata = []
    for name, field in reader.fields.items():
        # GGUFReader exposes the header counters as pseudo-fields; skip them.
        if name.startswith("GGUF."):
            continue
        main_type = field.types[0]
        entry = {"key": name, "type": main_type.name}
        if main_type == GGUFValueType.ARRAY:
            # parts: key length, key, value type, element type, length, elements...
            entry["elem_type"] = GGUFValueType(int(field.parts[3][0])).name
        entry["value"] = field.contents()
        metadata.append(entry)
    tensors = [
        {
            "name": t.name,
            "dims": [int(d) for d in t.shape],
            "type": t.tensor_type.name,
            "data_offset": int(t.data_offset),
            "n_bytes": int(t.n_bytes),
            "data": t.data.tobytes().hex(),
        }
        for t in reader.tensors
    ]
    json.dump(
        {
            "alignment": int(reader.alignment),
            "data_offset": int(reader.data_offset),
            "metadata": metadata,
            "tensors": tensors,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
