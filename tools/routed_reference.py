#!/usr/bin/python3
"""Independent reference values for the routed-ablation tier's tests (tests/data/routed/).

Written from PAPER.md §7.1 / HARNESS.md §4.8-4.9 with Python's own str.lower(), re and numpy, not from the
C++ code. Run from the repository root with Debian's python3 (it has numpy):

    /usr/bin/python3 tools/routed_reference.py [--shared ../shared]

Writes:
  tests/data/routed/metrics_reference.json   normalize / exact match / token F1 / ROUGE-L on fixed strings,
                                             Python's whitespace set and the characters whose lower() reaches
                                             [a-z0-9]
  tests/data/routed/longbench_defects.json   every bad record of the shared LongBench files and of
                                             tests/data/routed/dirty.jsonl, by line, found with json.loads
  tests/data/routed/oracle_reference.json    interleaved round order and the held-out static oracle on
                                             synthetic samples (numpy medians)
"""
import argparse
import collections
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "data", "routed")


# ---------------------------------------------------------------- metrics (PAPER.md §7.1)
def normalize(s):
    s = s.lower().strip()
    s = re.sub(r"\s+", " ", s)
    return re.sub(r"[^a-z0-9 ]", "", s)


def tokens(s):
    return [t for t in normalize(s).split(" ") if t]


def exact_match(pred, ref):
    return 1.0 if normalize(pred) == normalize(ref) else 0.0


def token_f1(pred, ref):
    p, r = tokens(pred), tokens(ref)
    if not p and not r:
        return 1.0
    if not p or not r:
        return 0.0
    overlap = sum((collections.Counter(p) & collections.Counter(r)).values())
    if overlap == 0:
        return 0.0
    prec, rec = overlap / len(p), overlap / len(r)
    return 2 * prec * rec / (prec + rec)


def rouge_l(pred, ref):
    p, r = tokens(pred), tokens(ref)
    if not p and not r:
        return 1.0
    if not p or not r:
        return 0.0
    table = [[0] * (len(r) + 1) for _ in range(len(p) + 1)]
    for i in range(1, len(p) + 1):
        for j in range(1, len(r) + 1):
            table[i][j] = table[i - 1][j - 1] + 1 if p[i - 1] == r[j - 1] else max(table[i - 1][j], table[i][j - 1])
    lcs = table[len(p)][len(r)]
    if lcs == 0:
        return 0.0
    prec, rec = lcs / len(p), lcs / len(r)
    return 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)


CASES = [
    ("Ada Lovelace", "Ada Lovelace"),
    ("ada lovelace.", "Ada  Lovelace"),
    ("  The answer is: Ada Lovelace!  ", "Ada Lovelace"),
    ("Grace Hopper, Grace Hopper", "Grace Hopper"),
    ("the the the cat", "the cat sat on the mat"),
    ("", ""),
    ("", "something"),
    ("...", ""),
    ("!!!", "???"),
    ("a . b", "a b"),
    ("a\t\n b", "a b"),
    ("İSTANBUL is big", "istanbul is big"),
    ("KELVIN \u212a", "kelvin k"),
    ("non\u00a0breaking\u2003spaces\u3000here", "non breaking spaces here"),
    ("caf\u00e9 na\u00efve", "caf nave"),
    ("\u0391\u03a3\u03a3\u0395\u03a1\u03a4 12", "12"),
    ("\uff11\uff12 fullwidth", "fullwidth"),
    ("line one\u2028line two", "line one line two"),
    ("No, it is not necessary.", "No, it is not necessary."),
    ("Multiyear procurement and block buy contracting save money",
     "Multiyear procurement (MYP) and block buy contracting (BBC) are special contracting mechanisms"),
    ("x y z x y z", "z y x"),
    ("\u00e9 leading", "leading"),
    ("3.14 and 2,718", "314 and 2718"),
]
# Raw bytes (hex) that are not UTF-8: the text Python would see after decode(errors="replace").
BYTE_CASES = [
    ("616263ff20646566", "abc def"),
    ("c0af206f6b", None),
    ("e282", "x"),
]


def metrics_reference():
    cases = []
    for pred, ref in CASES:
        cases.append({"pred_hex": pred.encode().hex(), "ref_hex": ref.encode().hex(), "normalized_pred": normalize(pred),
                      "normalized_ref": normalize(ref), "exact_match": exact_match(pred, ref),
                      "token_f1": token_f1(pred, ref), "rouge_l": rouge_l(pred, ref)})
    for pred_hex, ref in BYTE_CASES:
        raw = bytes.fromhex(pred_hex)
        pred = raw.decode("utf-8", errors="replace")
        ref = ref if ref is not None else pred
        cases.append({"pred_hex": raw.hex(), "ref_hex": ref.encode().hex(), "normalized_pred": normalize(pred),
                      "normalized_ref": normalize(ref), "exact_match": exact_match(pred, ref),
                      "token_f1": token_f1(pred, ref), "rouge_l": rouge_l(pred, ref)})
    ascii_alnum = set("abcdefghijklmnopqrstuvwxyz0123456789")
    whitespace, lower_to_ascii = [], []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if c.isspace():
            whitespace.append(cp)
        kept = "".join(ch for ch in c.lower() if ch in ascii_alnum)
        if kept and not (c.isascii() and c.isalnum()):
            lower_to_ascii.append({"cp": cp, "ascii": kept})
    import unicodedata
    return {"writer": "tools/routed_reference.py", "python": sys.version.split()[0],
            "unicode": unicodedata.unidata_version, "cases": cases, "whitespace": whitespace,
            "lower_to_ascii": lower_to_ascii}


# ---------------------------------------------------------------- LongBench defects
def defects_of(path):
    data = open(path, "rb").read()
    out = {"bom_at_start": data.startswith(b"\xef\xbb\xbf"), "bad": [], "good": 0}
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        raw = raw.rstrip(b"\r")
        if not raw.strip(b" \t"):
            continue
        kind = None
        if raw.startswith(b"\xef\xbb\xbf"):
            kind = "bom"
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                kind = "utf8"
            else:
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError:
                    kind = "json"
                else:
                    if not isinstance(obj, dict):
                        kind = "not_object"
                    elif not any(k in obj and obj[k] is not None for k in ("context", "article", "document", "passage")):
                        kind = "no_context"
                    elif not any(k in obj and obj[k] is not None for k in ("answers", "answer", "targets", "target")):
                        kind = "no_answers"
                    else:
                        answers = next(obj[k] for k in ("answers", "answer", "targets", "target") if k in obj and obj[k] is not None)
                        if isinstance(answers, list) and not answers:
                            kind = "empty_answers"
        if kind:
            out["bad"].append({"line": number, "kind": kind})
        else:
            out["good"] += 1
    return out


def longbench_reference(shared):
    files = {}
    lb = os.path.join(shared, "data", "longbench")
    for name in sorted(os.listdir(lb)):
        if name.endswith(".jsonl"):
            files["shared/data/longbench/" + name] = defects_of(os.path.join(lb, name))
    files["tests/data/routed/dirty.jsonl"] = defects_of(os.path.join(OUT, "dirty.jsonl"))
    return {"writer": "tools/routed_reference.py", "files": files}


def write_dirty_fixture():
    lines = [
        b'\xef\xbb\xbf{"_id": "r1", "context": "Ada Lovelace wrote notes.", "input": "Who wrote notes?", "answers": ["Ada Lovelace"]}',
        b'{"_id": "r2", "context": "bad byte \xff here", "input": "q", "answers": ["a"]}',
        b'{"_id": "r3", "context": "truncated", "input": "q", "answers": ["a"]',
        b'["a", "list", "record"]',
        b'',
        b'{"_id": "r5", "input": "no context", "answers": ["a"]}',
        b'{"_id": "r6", "context": "c", "input": "no answers"}',
        b'{"_id": "r7", "context": "c", "input": "q", "answers": []}',
        b'\xef\xbb\xbf{"_id": "r8", "context": "bom in the middle", "input": "q", "answers": ["a"]}',
        b'{"_id": "r9", "context": ["list", "context"], "question": "fallback keys", "answer": "single answer"}',
        b'{"_id": "r10", "context": "overlong \xc0\xaf slash", "input": "q", "answers": ["a"]}',
        b'{"_id": "r11", "context": "Grace Hopper and COBOL.", "input": "Who?", "answers": ["Grace Hopper", "Hopper"]}\r',
    ]
    with open(os.path.join(OUT, "dirty.jsonl"), "wb") as f:
        f.write(b"\n".join(lines) + b"\n")


# ---------------------------------------------------------------- interleaving and held-out oracle
def rotated_order(cells, round_index):
    start = round_index % cells
    return [(start + k) % cells for k in range(cells)]


def oracle_reference():
    rng = np.random.default_rng(20260501)
    rounds = 40
    static = {"static_chunk_128": 1.000, "static_chunk_256": 1.030, "static_chunk_512": 0.995, "static_chunk_1024": 1.010}
    rows = dict(static)
    rows["sampled_hist_s8"] = 1.046
    drift = np.linspace(0.0, 0.05, rounds)  # a slow drift every row sees (interleaving pairs it out)
    samples = {name: (base * (1.0 + drift) + rng.normal(0.0, 0.004, rounds)).tolist() for name, base in rows.items()}
    even = list(range(0, rounds, 2))
    odd = list(range(1, rounds, 2))

    def med(name, idx):
        return float(np.median(np.asarray(samples[name])[idx]))

    folds = []
    for chosen_on, evaluated_on, choose, evaluate in (("even", "odd", even, odd), ("odd", "even", odd, even)):
        best = min(static, key=lambda s: med(s, choose))
        ratios = {name: med(name, evaluate) / med(best, evaluate) for name in rows}
        folds.append({"chosen_on": chosen_on, "evaluated_on": evaluated_on, "oracle_row": best, "ratios": ratios})
    # Cross-fit: each round's denominator is the oracle chosen on the other half.
    denominator = [samples[folds[1]["oracle_row"]][r] if r % 2 == 0 else samples[folds[0]["oracle_row"]][r]
                   for r in range(rounds)]
    crossfit = {name: float(np.median(samples[name])) / float(np.median(denominator)) for name in rows}
    min_of_means = min(static, key=lambda s: float(np.mean(samples[s])))
    return {"writer": "tools/routed_reference.py", "rounds": rounds, "samples": samples, "static_rows": list(static),
            "folds": folds, "crossfit_ratio": crossfit, "min_of_means_row": min_of_means,
            "rotation": {"cells": 5, "orders": [rotated_order(5, r) for r in range(7)]}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    write_dirty_fixture()
    for name, payload in (("metrics_reference.json", metrics_reference()),
                          ("longbench_defects.json", longbench_reference(args.shared)),
                          ("oracle_reference.json", oracle_reference())):
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(payload, f, indent=1, ensure_ascii=True)
            f.write("\n")
        print("wrote", os.path.join("tests", "data", "routed", name))


if __name__ == "__main__":
    main()
