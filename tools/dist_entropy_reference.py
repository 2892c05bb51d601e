#!/usr/bin/env python3
"""Writes tests/data/scan/dist_entropy.json: the E-kernel entropy (K = 256 bins over [min, max], nats; PAPER.md
§2.2) of the kernel-sweep activation u for every `dist` of the perturbation study (PAPER.md §4.7), on the W1
shape (1 x 1024 x 4096) rounded to fp16, with the seeds of experiments/paper/perturbation.yaml.

The draws and the estimator are numpy's (tools/entropy_reference.py), independent of corey's C++ code.

Usage: /usr/bin/python3 tools/dist_entropy_reference.py   (needs numpy; tested with numpy 1.24.2)
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from entropy_reference import DATA, e_routed_nats, source_draws  # noqa: E402

# The paper's row order; seed = 42 + row index (experiments/paper/perturbation.yaml says why).
DISTS = ("uniform", "normal", "laplace", "sparse10", "sparse2")
SHAPE = (1, 1024, 4096)


def main():
    n = SHAPE[0] * SHAPE[1] * SHAPE[2]
    cases = []
    for index, dist in enumerate(DISTS):
        seed = 42 + index
        u, _ = source_draws(dist, seed, n, True)
        u16 = u.astype(np.float16)
        cases.append({"dist": dist, "seed": seed, "shape": list(SHAPE), "dtype": "fp16",
                      "entropy_nats": e_routed_nats(u16.astype(np.float32), 256)})
    (DATA / "scan" / "dist_entropy.json").write_text(json.dumps({"bins": 256, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
