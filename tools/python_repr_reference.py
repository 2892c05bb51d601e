#!/usr/bin/env python3
"""Writes tests/data/python_repr.json: doubles (as hex bit patterns) and Python's repr() of each, the
reference for corey's python_float_repr (the authors' CSVs were written with repr)."""
import json
import random
import struct
import sys

values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 39.2634, 52.0647, 2805.4249, 1e-4, 9.999e-5, 4.5829e-06,
          1e16, 9999999999999998.0, 1e15, 123456789012345.6, 1e22, 1.7976931348623157e308, 5e-324,
          0.1739385283, 100.0, 1234.5, 3.0, 2.3333, 0.000641, 0.00064087, 1e-05, 12345678.9]
rng = random.Random(20261128)
for _ in range(200):
    values.append(rng.uniform(-1, 1) * 10 ** rng.randint(-8, 18))
out = [[struct.unpack("<Q", struct.pack("<d", v))[0], repr(v)] for v in values]
path = sys.argv[1] if len(sys.argv) > 1 else "tests/data/python_repr.json"
with open(path, "w") as f:
    json.dump({"generator": "tools/python_repr_reference.py", "cases": out}, f, indent=0)
    f.write("\n")
