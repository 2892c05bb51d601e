#!/usr/bin/python3
"""Writes tests/data/model/nfc_cases.json: strings and their NFC form by Python's unicodedata.normalize.

Cases: every code point with a canonical decomposition, given decomposed (NFD) and as itself; Hangul
syllables decomposed; seeded random base + combining-mark sequences in shuffled order (exercises canonical
ordering and blocked compositions).

Run:  /usr/bin/python3 tools/model/nfc_reference.py tests/data/model/nfc_cases.json
"""
import json
import random
import sys
import unicodedata


def main():
    cases = []
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            s = chr(cp)
            cases.append(unicodedata.normalize("NFD", s))
            cases.append(s)
    rng = random.Random(6)
    for _ in range(200):
        syllable = chr(rng.randrange(0xAC00, 0xAC00 + 11172))
        cases.append(unicodedata.normalize("NFD", syllable) + chr(0x11A8 + rng.randrange(0, 27)))
    bases = "aeiouAEIOUnNcCsSzZyYwWgGkKhHrRlL\u0391\u03b1\u0415\u0435\u0627\u05d0"
    marks = [0x300, 0x301, 0x302, 0x303, 0x304, 0x306, 0x307, 0x308, 0x30A, 0x30B, 0x30C, 0x323, 0x327,
             0x328, 0x331, 0x345, 0x342, 0x313, 0x314, 0x653, 0x654, 0x655, 0x5B4, 0x5BC, 0x1DCE]
    for _ in range(600):
        s = rng.choice(bases) + "".join(chr(rng.choice(marks)) for _ in range(rng.randrange(1, 5)))
        if rng.random() < 0.3:
            s += rng.choice(bases)
        cases.append(s)
    out = {"unicode_version": unicodedata.unidata_version,
           "cases": [[c, unicodedata.normalize("NFC", c)] for c in cases]}
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, ensure_ascii=True, separators=(",", ":"))


if __name__ == "__main__":
    main()
