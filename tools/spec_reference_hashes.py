#!/usr/bin/python3
"""Writes reference_hashes.json: canonical JSON and SHA-256 values computed with Python's json and hashlib,
an implementation independent of corey's, for tests/unit/spec. Run from anywhere:
    /usr/bin/python3 tools/spec_reference_hashes.py
"""
import hashlib
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "specs")


def canonical(value):
    # Sorted keys, no whitespace, UTF-8 verbatim; Python's float repr is the shortest round-trip form.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


POINTS = [
    ("kernel-sweep", {"seq_len": 4096, "chunk": 256, "dtype": "bf16", "tau": 0.52}),
    ("kernel-sweep", {"chunk": 256, "dtype": "bf16", "seq_len": 4096, "tau": 0.52}),
    ("costmodel", {"study": "fusion", "hidden_dim": 192, "tau": 0.52, "seq_lens": [1024, 2048], "bonuses": "on"}),
    ("routed-ablation", {"model": {"dtype": "fp16", "checkpoint": "synthetic:mamba-370m"}, "new_tokens": 32,
                         "guard": None, "graph": False, "h_ref": 8.0, "eps": 1e-06}),
    ("mixed-regime", {"text": "tab\there \"quoted\" back\\slash", "chunks": [128, 256, 512], "x": -0.125}),
]


MASK64 = (1 << 64) - 1


class MT19937_64:
    """The 64-bit Mersenne Twister exactly as the C++ standard specifies std::mt19937_64."""

    def __init__(self, seed):
        self.state = [seed & MASK64]
        for i in range(1, 312):
            prev = self.state[-1]
            self.state.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64)
        self.index = 312

    def __call__(self):
        if self.index >= 312:
            for i in range(312):
                x = (self.state[i] & 0xFFFFFFFF80000000) | (self.state[(i + 1) % 312] & 0x7FFFFFFF)
                y = x >> 1
                if x & 1:
                    y ^= 0xB5026F5AA96619E9
                self.state[i] = self.state[(i + 156) % 312] ^ y
            self.index = 0
        z = self.state[self.index]
        self.index += 1
        z ^= (z >> 29) & 0x5555555555555555
        z ^= (z << 17) & 0x71D67FFFEDA60000
        z ^= (z << 37) & 0xFFF7EEE000000000
        z ^= z >> 43
        return z & MASK64


def sample_indices(total, count, seed):
    """The selection documented at corey::spec::expand: partial Fisher-Yates with rejection sampling."""
    rng = MT19937_64(seed)
    indices = list(range(total))
    for i in range(min(count, total)):
        bound = total - i
        threshold = (2**64 - bound) % bound
        while True:
            x = rng()
            if x >= threshold:
                break
        j = i + x % bound
        indices[i], indices[j] = indices[j], indices[i]
    return sorted(indices[:min(count, total)])


def check_generator():
    # C++ standard [rand.predef]: the 10000th consecutive invocation of a default-constructed
    # std::mt19937_64 (seed 5489) produces 9981545732273789042.
    rng = MT19937_64(5489)
    for _ in range(9999):
        rng()
    assert rng() == 9981545732273789042


def main():
    check_generator()
    cases = []
    for experiment, params in POINTS:
        text = canonical({"experiment": experiment, "params": params})
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        cases.append({"experiment": experiment, "params": params, "canonical": text, "point_id": digest[:12]})
    with open(os.path.join(HERE, "child.resolved.json"), encoding="utf-8") as f:
        resolved = json.load(f)
    resolved_text = canonical(resolved)
    out = {
        "generated_by": "tools/spec_reference_hashes.py (Python json + hashlib)",
        "points": cases,
        "samples": [{"total": total, "count": count, "seed": seed, "indices": sample_indices(total, count, seed)}
                    for total, count, seed in [(100, 10, 7), (100, 10, 8), (1000, 37, 123456789), (5, 5, 1)]],
        "child_resolved": {"canonical": resolved_text,
                           "sha256": hashlib.sha256(resolved_text.encode("utf-8")).hexdigest()},
    }
    with open(os.path.join(HERE, "reference_hashes.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
