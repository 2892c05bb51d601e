#!/usr/bin/env python3
"""Writes tests/data/numpy_draws.json: reference draws of numpy.random.default_rng for the RNG tests.

Each list comes from a fresh default_rng(seed). Needs numpy (tested with 1.24.2).
Usage: /usr/bin/python3 tools/numpy_reference_draws.py [output path]
"""
import json
import sys
from pathlib import Path

import numpy as np

SEEDS = [7, 0, 12345, 2**40 + 3]
COUNTS = {"u64": 16, "normal": 2000, "t3": 400, "gamma1_5": 300, "uniform": 50}


def draws(seed):
    entry = {"seed": seed, "numpy_version": np.__version__}
    entry["seed_state"] = [int(v) for v in np.random.SeedSequence(seed).generate_state(4, np.uint64)]
    entry["u64"] = [int(v) for v in np.random.default_rng(seed).bit_generator.random_raw(COUNTS["u64"])]
    entry["normal"] = np.random.default_rng(seed).standard_normal(COUNTS["normal"]).tolist()
    entry["t3"] = np.random.default_rng(seed).standard_t(3.0, COUNTS["t3"]).tolist()
    entry["gamma1_5"] = np.random.default_rng(seed).standard_gamma(1.5, COUNTS["gamma1_5"]).tolist()
    entry["uniform"] = np.random.default_rng(seed).random(COUNTS["uniform"]).tolist()
    return entry


def main():
    root = Path(__file__).resolve().parent.parent
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "tests/data/numpy_draws.json"
    out.write_text(json.dumps({"draws": [draws(seed) for seed in SEEDS]}, indent=0) + "\n")


if __name__ == "__main__":
    main()
