#!/usr/bin/env python3
"""Writes the numpy / CPython reference fixtures of the scan, entropy, scheduler and analyze tests.

Everything here is computed independently of corey's C++ code, with numpy and the Python standard library:

  tests/data/entropy/*.npy, entropy_reference.json   estimator values (PAPER.md §2.2, §2.4) in nats and bits
  tests/data/entropy/chunk_rule_reference.json       the entropy -> chunk rule (§2.3) with round() and floor
  tests/data/entropy/random_choice_reference.json    random.Random(seed).choice sequences (§2.4)
  tests/data/entropy/learned_table_reference.json    learned-table decisions (§2.4 rules) for feature triples
  tests/data/scan/half_reference.json                fp32 -> fp16 (numpy) and fp32 -> bf16 (exact fractions)
  tests/data/analyze/*                               .npy / .safetensors files, good and broken, for `corey analyze`

Usage: /usr/bin/python3 tools/entropy_reference.py   (needs numpy; tested with numpy 1.24.2, Python 3.11)
"""
import json
import math
import random
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


# ---------------------------------------------------------------- estimators (PAPER.md §2.2, §2.4)

def minmax_indices(x, k):
    """E-kernel binning in fp32: floor((x - min) / (max - min + 1e-8) * K), clamped."""
    lo, hi = x.min(), x.max()
    denom = np.float32(float(hi) - float(lo) + 1e-8)
    idx = np.floor(((x - lo) / denom) * np.float32(k)).astype(np.int64)
    return np.clip(idx, 0, k - 1)


def e_routed_nats(x, k):
    x = np.asarray(x, dtype=np.float32).ravel()
    if x.size == 0 or float(x.max()) - float(x.min()) < 1e-8:
        return 0.0
    counts = np.bincount(minmax_indices(x, k), minlength=k).astype(np.float64)
    p = counts / (counts.sum() + 1e-10)
    p = p[p > 1e-10]
    return float(-np.sum(p * np.log(p + 1e-10)))


def e_bits(x, k):
    x = np.asarray(x, dtype=np.float32).ravel()
    if x.size == 0 or abs(float(x.max()) - float(x.min())) < 1e-8:
        return 0.0
    counts = np.bincount(minmax_indices(x, k), minlength=k).astype(np.float64)
    p = counts / (counts.sum() + 1e-8)
    p = p[p > 1e-8]
    return float(-np.sum(p * np.log2(p + 1e-8)))


def e_proto_nats(x, k):
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size == 0:
        return 0.0
    mn, mx = float(x.min()), float(x.max())
    if np.isclose(mn, mx):
        return 0.0
    margin = max(0.05 * (mx - mn), 1e-6)
    counts, _ = np.histogram(x, bins=k, range=(mn - margin, mx + margin))
    p = counts / counts.sum()
    p = p[p > 0]
    return float(-np.sum(p * np.log(p + 1e-12)))


def token_hist_nats(u, k, stride):
    strided = u[..., ::stride].astype(np.float32)
    tokens = np.transpose(strided, (0, 2, 1)).reshape(-1, u.shape[1])
    values = [e_routed_nats(t, k) for t in tokens if float(t.max()) - float(t.min()) >= 1e-8]
    return float(np.mean(values)) if values else 0.0


def proxies(x, k):
    x = np.asarray(x, dtype=np.float32).ravel().astype(np.float64)
    ln_k = math.log(k)
    mean_abs = np.mean(np.abs(x))
    cheap = np.clip(mean_abs / (np.sqrt(np.mean(x * x) + 1e-8) + 1e-8), 0, 1) * ln_k
    mu = np.mean(x)
    c = x - mu
    sigma = np.sqrt(np.mean(c * c) + 1e-8)
    variance = np.clip(sigma / (mean_abs + sigma + 1e-8), 0, 1) * ln_k
    v = np.mean(c * c) + 1e-8
    excess = max(np.mean(c ** 4) / (v * v) - 3.0, 0.0)
    kurt = np.clip(1.0 - np.exp(-excess / 8.0), 0, 1) * ln_k
    return float(cheap), float(variance), float(kurt)


def estimates(u):
    """Every estimator of one (B, D, L) tensor, keyed as the C++ tests expect."""
    x = u.astype(np.float32)
    out = {}
    for k in (256, 64):
        for s in (1, 8):
            h = e_routed_nats(x[..., ::s], k)
            out[f"hist_k{k}_s{s}_nats"] = h
            out[f"hist_k{k}_s{s}_bits"] = h / math.log(2)
        out[f"ebits_k{k}_bits"] = e_bits(x, k)
        out[f"token_hist_k{k}_s1_nats"] = token_hist_nats(x, k, 1)
        out[f"token_hist_k{k}_s8_nats"] = token_hist_nats(x, k, 8)
    h = e_proto_nats(x, 64)
    out["proto_k64_nats"] = h
    out["proto_k64_normalized"] = float(np.clip(h / math.log(64), 0, 1))
    cheap, variance, kurt = proxies(x, 256)
    out["cheap_proxy_k256_nats"] = cheap
    out["variance_proxy_k256_nats"] = variance
    out["kurtosis_proxy_k256_nats"] = kurt
    return out


def activation_tensors():
    rng = np.random.default_rng(20260417)
    tensors = {
        "normal_f32": rng.standard_normal((2, 8, 96)).astype(np.float32),
        "laplace_f16": rng.laplace(0.0, 1.0, (1, 16, 64)).astype(np.float16),
        "sparse_f32": ((rng.random((1, 16, 128)) < 0.1) * rng.standard_normal((1, 16, 128))).astype(np.float32),
        "uniform_f64": rng.random((1, 4, 200)),
        "constant_f32": np.full((1, 4, 16), 0.75, dtype=np.float32),
    }
    return tensors


def write_entropy():
    out_dir = DATA / "entropy"
    out_dir.mkdir(parents=True, exist_ok=True)
    reference = {"numpy_version": np.__version__, "tensors": {}}
    for name, u in activation_tensors().items():
        np.save(out_dir / f"{name}.npy", u)
        reference["tensors"][name] = {"file": f"{name}.npy", "shape": list(u.shape), "estimates": estimates(u)}
    (out_dir / "entropy_reference.json").write_text(json.dumps(reference, indent=1) + "\n")


# ---------------------------------------------------------------- chunk rule (§2.3)

def rule_chunk(h, h_ref, c_min, c_max, rounding):
    r = 0.0 if h_ref <= 0 else min(h / h_ref, 1.0)
    raw = c_min + r * (c_max - c_min)
    lg = math.log2(max(raw, 1.0))
    e = round(lg) if rounding == "round" else math.floor(lg)
    return int(min(max(2 ** e, c_min), c_max))


def write_chunk_rule():
    cases = []
    ln256 = math.log(256)
    for h_ref in (8.0, ln256, math.log(64), 0.0):
        for c_min, c_max in ((32, 512), (128, 2048), (128, 1024), (128, 512), (64, 64)):
            for rounding in ("round", "floor"):
                for i in range(0, 31):
                    h = i * 0.2
                    cases.append([h, h_ref, c_min, c_max, rounding, rule_chunk(h, h_ref, c_min, c_max, rounding)])
    (DATA / "entropy" / "chunk_rule_reference.json").write_text(
        json.dumps({"columns": ["h", "h_ref", "c_min", "c_max", "rounding", "chunk"], "cases": cases}) + "\n")


# ---------------------------------------------------------------- random.Random(seed).choice (§2.4)

def write_random_choice():
    runs = []
    for seed in (0, 1, 7, 42, 2 ** 32 + 5, 123456789012, -3):
        for n in (1, 2, 3, 4, 5, 7, 8, 9):
            seq = list(range(n))
            rng = random.Random(seed)
            runs.append({"seed": seed, "n": n, "choices": [rng.choice(seq) for _ in range(40)]})
    rng = random.Random(0)
    pow2 = [128, 256, 512, 1024, 2048]
    paper = {"seed": 0, "candidates": pow2, "choices": [rng.choice(pow2) for _ in range(20)]}
    words = {"seed": 0, "getrandbits32": [random.Random(0).getrandbits(32)]}
    rng = random.Random(5489)
    words["seed_5489_first_words"] = [rng.getrandbits(32) for _ in range(5)]
    (DATA / "entropy" / "random_choice_reference.json").write_text(
        json.dumps({"python": "random.Random", "runs": runs, "paper_candidates": paper, "words": words}) + "\n")


# ---------------------------------------------------------------- learned table (§2.4)

def learned_chunk(table, layer_idx, seq_len, entropy_nats, fallback=512):
    default = table.get("default_chunk", fallback)
    features = {"layer_idx": layer_idx, "seq_len": seq_len, "entropy": entropy_nats}
    for index, rule in enumerate(table.get("rules", [])):
        if not isinstance(rule, dict):
            continue
        ok = True
        for feature in ("layer_idx", "seq_len", "entropy"):
            lo = rule.get(f"min_{feature}")
            hi = rule.get(f"max_{feature}")
            if lo is None and hi is None:
                continue
            value = features[feature]
            if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
                ok = False
                break
        if ok:
            return rule.get("chunk", default), rule.get("name", f"rule_{index}")
    return default, "default"


def write_learned_table():
    table = json.loads((ROOT / "experiments" / "examples" / "learned_table.json").read_text())
    cases = []
    for layer_idx in (0, 3, 4, 47):
        for seq_len in (16, 64, 65, 976):
            for entropy in (None, 0.0, 2.5, 3.0, 3.0001, 4.6):
                chunk, name = learned_chunk(table, layer_idx, seq_len, entropy)
                cases.append({"layer_idx": layer_idx, "seq_len": seq_len, "entropy_nats": entropy,
                              "chunk": chunk, "policy_rule": name})
    (DATA / "entropy" / "learned_table_reference.json").write_text(json.dumps({"cases": cases}) + "\n")


# ---------------------------------------------------------------- fp16 / bf16 rounding

def bf16_round_bits(value):
    """Nearest bfloat16 of a finite float32 by exact rational comparison, ties to even."""
    bits = struct.unpack("<I", struct.pack("<f", value))[0]
    lower = bits & 0xFFFF0000
    upper = lower + 0x10000

    def as_fraction(b):
        if (b & 0x7F800000) == 0x7F800000:  # rounding up past the largest finite value
            return None
        return Fraction(struct.unpack("<f", struct.pack("<I", b))[0])

    x = Fraction(value)
    lo, hi = as_fraction(lower), as_fraction(upper)
    if hi is None:
        # The midpoint to "2^128" decides overflow, as in IEEE round-to-nearest.
        hi_value = Fraction(2) ** 128 * (1 if value > 0 else -1)
        if abs(x - lo) < abs(x - hi_value) or (abs(x - lo) == abs(x - hi_value) and (lower >> 16) % 2 == 0):
            return lower >> 16
        return upper >> 16
    d_lo, d_hi = abs(x - lo), abs(x - hi)
    if d_lo < d_hi or (d_lo == d_hi and (lower >> 16) % 2 == 0):
        return lower >> 16
    return upper >> 16


def write_half():
    rng = np.random.default_rng(7)
    values = list(rng.standard_normal(600) * np.exp(rng.uniform(-20, 12, 600)))
    values += [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 70000.0, -65520.0, 2.0 ** -14, 2.0 ** -24,
               2.0 ** -25, 3 * 2.0 ** -26, 1.5 * 2.0 ** -24, 2.5 * 2.0 ** -24, 5.96e-8, 1e-10, 6.1e-5,
               1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 3.3895314e38]
    f32 = np.array(values, dtype=np.float32)
    f32_bits = f32.view(np.uint32).tolist()
    with np.errstate(over="ignore"):  # values beyond 65520 must become infinity
        f16_bits = f32.astype(np.float16).view(np.uint16).tolist()
    bf16_bits = [bf16_round_bits(float(v)) for v in f32]
    (DATA / "scan").mkdir(parents=True, exist_ok=True)
    (DATA / "scan" / "half_reference.json").write_text(
        json.dumps({"f32_bits": f32_bits, "f16_bits": f16_bits, "bf16_bits": bf16_bits}) + "\n")


# ---------------------------------------------------------------- analyze fixtures (.npy / .safetensors)

def safetensors_bytes(tensors, header_extra=None, pad=True):
    """A safetensors file written by hand: u64 header length, JSON header, data (KERNELS.md §4.1)."""
    header = {"__metadata__": {"writer": "tools/entropy_reference.py"}}
    data = b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if header_extra:
        header.update(header_extra)
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_analyze():
    out_dir = DATA / "analyze"
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(99)
    u = rng.standard_normal((1, 8, 64)).astype(np.float32)
    np.save(out_dir / "u_f32.npy", u)
    np.save(out_dir / "u_f16.npy", u.astype(np.float16))
    np.save(out_dir / "u_f64.npy", u.astype(np.float64))
    np.save(out_dir / "u_2d.npy", u[0])
    np.save(out_dir / "fortran.npy", np.asfortranarray(u[0]))
    np.save(out_dir / "int32.npy", np.arange(12, dtype=np.int32).reshape(3, 4))
    np.save(out_dir / "big_endian.npy", u[0].astype(">f4"))
    with_nan = u.copy()
    with_nan[0, 2, 5] = np.nan
    np.save(out_dir / "nan.npy", with_nan)
    with_inf = u.copy()
    with_inf[0, 7, 63] = -np.inf
    np.save(out_dir / "inf.npy", with_inf)
    whole = (out_dir / "u_f32.npy").read_bytes()
    (out_dir / "truncated.npy").write_bytes(whole[: len(whole) - 100])
    (out_dir / "bad_magic.npy").write_bytes(b"NOTNUMPY" + whole[8:])
    (out_dir / "header_only.npy").write_bytes(whole[:40])

    # bf16 values exactly representable, so encoding is truncation of the fp32 bits.
    bf = (np.round(rng.standard_normal((1, 4, 32)) * 8) / 8).astype(np.float32)
    bf_raw = (bf.view(np.uint32) >> 16).astype("<u2").tobytes()
    tensors = {
        "u": ("F32", list(u.shape), u.astype("<f4").tobytes()),
        "u_half": ("F16", list(u.shape), u.astype("<f2").tobytes()),
        "u_bf16": ("BF16", list(bf.shape), bf_raw),
        "A_log": ("F64", [8, 16], np.log(np.tile(np.arange(1, 17, dtype=np.float64), (8, 1))).astype("<f8").tobytes()),
        "ids": ("I64", [3], np.arange(3, dtype="<i8").tobytes()),
    }
    (out_dir / "tensors.safetensors").write_bytes(safetensors_bytes(tensors))
    np.save(out_dir / "u_bf16_as_f32.npy", bf)
    good = (out_dir / "tensors.safetensors").read_bytes()
    (out_dir / "st_truncated.safetensors").write_bytes(good[: len(good) - 64])
    overlap = {"a": ("F32", [4], np.zeros(4, "<f4").tobytes()), "b": ("F32", [4], np.zeros(4, "<f4").tobytes())}
    raw = safetensors_bytes(overlap, header_extra={"b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})
    (out_dir / "st_overlap.safetensors").write_bytes(raw)
    shape_bad = {"a": ("F32", [4], np.zeros(4, "<f4").tobytes())}
    raw = safetensors_bytes(shape_bad, header_extra={"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}})
    (out_dir / "st_shape_mismatch.safetensors").write_bytes(raw)
    (out_dir / "st_huge_header.safetensors").write_bytes(struct.pack("<Q", 200_000_000) + b"{}")
    (out_dir / "st_bad_json.safetensors").write_bytes(struct.pack("<Q", 8) + b"{nojson}")
    with_nan = u.copy()
    with_nan[0, 1, 1] = np.nan
    (out_dir / "st_nan.safetensors").write_bytes(
        safetensors_bytes({"u": ("F32", list(u.shape), with_nan.astype("<f4").tobytes())}))

    expected = {
        "u_f32.npy": estimates(u),
        "u_f16.npy": estimates(u.astype(np.float16)),
        "u_f64.npy": estimates(u.astype(np.float64)),
        "tensors.safetensors:u": estimates(u),
        "tensors.safetensors:u_half": estimates(u.astype(np.float16)),
        "tensors.safetensors:u_bf16": estimates(bf),
    }
    (out_dir / "analyze_reference.json").write_text(json.dumps(expected, indent=1) + "\n")

    table = json.loads((ROOT / "experiments" / "examples" / "learned_table.json").read_text())
    bad_tables = {
        "table_rules_not_list.json": {"default_chunk": 512, "rules": {"a": 1}},
        "table_bad_chunk.json": {"default_chunk": 512, "rules": [table["rules"][0], {"name": "x", "chunk": -4}]},
        "table_bad_bound.json": {"rules": [{"name": "ok", "chunk": 128}, {"name": "y", "max_seq_len": "long"}]},
        "table_unknown_key.json": {"rules": [{"name": "z", "max_tokens": 5, "chunk": 256}]},
    }
    for name, content in bad_tables.items():
        (out_dir / name).write_text(json.dumps(content) + "\n")
    (out_dir / "table_not_json.json").write_text("{\"rules\": [\n")


# ---------------------------------------------------------------- activation sources (PAPER.md §4.7)

def source_draws(dist, seed, n, w1):
    """u then delta from one numpy default_rng(seed) stream, in the order bench::ScanInputs documents."""
    rng = np.random.default_rng(seed)
    if dist == "normal":
        u = rng.standard_normal(n)
    elif dist == "uniform":
        u = rng.random(n)
    elif dist == "laplace":
        U = rng.random(n).astype(np.float32)
        c = U - np.float32(0.5)
        u = -np.sign(c) * np.log(np.float32(1.0) - np.float32(2.0) * np.abs(c) + np.float32(1e-8))
    else:
        p, scale = (0.10, 1.0) if dist == "sparse10" else (0.02, 5.0)
        mask = rng.random(n) < p
        z = rng.standard_normal(n)
        u = np.where(mask, scale * z, 0.0)
    delta = rng.random(n) if w1 else rng.random(n) - 0.5
    return u.astype(np.float32), delta.astype(np.float32)


def write_sources():
    cases = []
    for dist in ("normal", "uniform", "laplace", "sparse10", "sparse2"):
        for w1 in (False, True):
            u, delta = source_draws(dist, 42, 2 * 24, w1)
            cases.append({"dist": dist, "workload": "w1" if w1 else "mamba370m", "seed": 42, "shape": [1, 2, 24],
                          "u": u.tolist(), "delta": delta.tolist()})
    (DATA / "scan" / "source_reference.json").write_text(json.dumps({"cases": cases}) + "\n")


def main():
    write_sources()
    write_entropy()
    write_chunk_rule()
    write_random_choice()
    write_learned_table()
    write_half()
    write_analyze()


if __name__ == "__main__":
    main()
