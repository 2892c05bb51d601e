#!/usr/bin/python3
"""Writes small Mamba checkpoints and their float64 numpy logits for the CPU ModelRunner tests.

An independent reference: the model below is the plain math of KERNELS.md §1.1 and §3.1 in float64
(sequential scan with A = -exp(A_log), softplus with threshold 20, RMSNorm, tied or untied head), and the
checkpoints are written by the small safetensors writer in this file, not by corey.

  np_tied/     HF key family, model.safetensors, F32, tied head (no lm_head.weight stored)
  np_untied/   mamba_ssm key family (vocab 250 padded to 256, ssm_cfg with d_state 8 and d_conv 3),
               untied lm_head, two shards through model.safetensors.index.json, weights stored as a mix of
               F32, F16 and BF16 (the reference uses the rounded values)

Each directory also gets reference.json: a prompt, its float64 logits as float32 (logits.npy, positions x
vocab) and the greedy continuation with the smallest top-1/top-2 logit margin seen.

Run:  /usr/bin/python3 tools/model/make_numpy_fixtures.py tests/data/model
"""
import json
import math
import os
import struct
import sys

import numpy as np


def bf16_round(a):
    """float32 -> nearest-even bfloat16, returned as (uint16 bits, float64 values)."""
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    values = (rounded.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return rounded, values


def store(array, dtype):
    """(raw little-endian bytes, safetensors dtype name, float64 values the file holds)."""
    a = np.asarray(array, dtype=np.float64)
    if dtype == "F32":
        f = a.astype("<f4")
        return f.tobytes(), "F32", f.astype(np.float64)
    if dtype == "F16":
        f = a.astype("<f2")
        return f.tobytes(), "F16", f.astype(np.float64)
    bits, values = bf16_round(a.astype(np.float32))
    return bits.astype("<u2").tobytes(), "BF16", values


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, shape, dtype name, raw bytes)."""
    header = {"__metadata__": metadata}
    offset = 0
    for name, shape, dtype, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in tensors:
            f.write(raw)


def softplus(x):
    return np.where(x <= 20.0, np.log1p(np.exp(np.minimum(x, 20.0))), x)


def silu(x):
    return x / (1.0 + np.exp(-x))


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def forward(w, cfg, ids):
    """float64 logits (L, V) of the prompt `ids`."""
    M, D, N, K, R = cfg["M"], cfg["D"], cfg["N"], cfg["K"], cfg["R"]
    h = w["backbone.embeddings.weight"][ids]  # (L, M)
    L = len(ids)
    for i in range(cfg["layers"]):
        p = lambda s: w[f"backbone.layers.{i}.{s}"]
        x_in = rms_norm(h, p("norm.weight"), cfg["eps"])
        xz = x_in @ p("mixer.in_proj.weight").T  # (L, 2D)
        x, z = xz[:, :D], xz[:, D:]
        conv_w = p("mixer.conv1d.weight")[:, 0, :]  # (D, K)
        padded = np.concatenate([np.zeros((K - 1, D)), x], axis=0)
        u = np.empty((L, D))
        for t in range(L):
            u[t] = p("mixer.conv1d.bias") + np.sum(conv_w.T * padded[t:t + K], axis=0)
        u = silu(u)
        x_dbl = u @ p("mixer.x_proj.weight").T  # (L, R + 2N)
        dt_low, B, C = x_dbl[:, :R], x_dbl[:, R:R + N], x_dbl[:, R + N:]
        delta = softplus(dt_low @ p("mixer.dt_proj.weight").T + p("mixer.dt_proj.bias"))  # (L, D)
        A = -np.exp(p("mixer.A_log"))  # (D, N)
        state = np.zeros((D, N))
        y = np.empty((L, D))
        for t in range(L):
            state = np.exp(delta[t][:, None] * A) * state + (delta[t] * u[t])[:, None] * B[t][None, :]
            y[t] = state @ C[t] + p("mixer.D") * u[t]
        y = y * silu(z)
        h = h + y @ p("mixer.out_proj.weight").T
    h = rms_norm(h, w["backbone.norm_f.weight"], cfg["eps"])
    head = w.get("lm_head.weight", w["backbone.embeddings.weight"])
    return h @ head.T


def build(rng, cfg, dtype_of):
    """Random weights with the HF layout; returns {name: (shape, dtype, raw, float64 values)}."""
    M, D, N, K, R, V = cfg["M"], cfg["D"], cfg["N"], cfg["K"], cfg["R"], cfg["V"]
    raw = {}

    def add(name, values):
        data, dt, vals = store(values, dtype_of(name))
        raw[name] = (values.shape, dt, data, vals.reshape(values.shape))

    add("backbone.embeddings.weight", rng.normal(0.0, 0.5, (V, M)))
    for i in range(cfg["layers"]):
        pre = f"backbone.layers.{i}."
        add(pre + "norm.weight", 1.0 + rng.normal(0.0, 0.1, (M,)))
        add(pre + "mixer.in_proj.weight", rng.normal(0.0, 1.0 / math.sqrt(M), (2 * D, M)))
        add(pre + "mixer.conv1d.weight", rng.normal(0.0, 0.4, (D, 1, K)))
        add(pre + "mixer.conv1d.bias", rng.normal(0.0, 0.1, (D,)))
        add(pre + "mixer.x_proj.weight", rng.normal(0.0, 1.0 / math.sqrt(D), (R + 2 * N, D)))
        add(pre + "mixer.dt_proj.weight", rng.uniform(-1.0 / math.sqrt(R), 1.0 / math.sqrt(R), (D, R)))
        dt0 = np.exp(rng.uniform(math.log(1e-3), math.log(1e-1), (D,)))
        add(pre + "mixer.dt_proj.bias", dt0 + np.log(-np.expm1(-dt0)))
        add(pre + "mixer.A_log", np.log(np.tile(np.arange(1, N + 1, dtype=np.float64), (D, 1))))
        add(pre + "mixer.D", 1.0 + rng.normal(0.0, 0.1, (D,)))
        add(pre + "mixer.out_proj.weight", rng.normal(0.0, 1.0 / math.sqrt(D), (M, D)))
    add("backbone.norm_f.weight", 1.0 + rng.normal(0.0, 0.1, (M,)))
    if not cfg["tied"]:
        add("lm_head.weight", rng.normal(0.0, 0.5, (V, M)))
    return raw


def greedy(w, cfg, prompt, steps):
    ids = list(prompt)
    margin = float("inf")
    for _ in range(steps):
        last = forward(w, cfg, np.array(ids))[-1]
        top = np.sort(last)[-2:]
        margin = min(margin, float(top[1] - top[0]))
        ids.append(int(np.argmax(last)))
    return ids[len(prompt):], margin


def write_model(out_dir, name, cfg, config_json, dtype_of, shards, seed):
    rng = np.random.default_rng(seed)
    raw = build(rng, cfg, dtype_of)
    path = os.path.join(out_dir, name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config_json, f, indent=2)
    names = list(raw)
    meta = {"format": "pt", "writer": "tools/model/make_numpy_fixtures.py"}
    if shards == 1:
        write_safetensors(os.path.join(path, "model.safetensors"),
                          [(n, raw[n][0], raw[n][1], raw[n][2]) for n in names], meta)
    else:
        weight_map = {}
        per = (len(names) + shards - 1) // shards
        for s in range(shards):
            part = names[s * per:(s + 1) * per]
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            write_safetensors(os.path.join(path, fname), [(n, raw[n][0], raw[n][1], raw[n][2]) for n in part], meta)
            weight_map.update({n: fname for n in part})
        with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": sum(len(raw[n][2]) for n in names)}, "weight_map": weight_map}, f,
                      indent=1)
    w = {n: raw[n][3] for n in names}
    prompt = rng.integers(0, cfg["V"], 300)
    logits = forward(w, cfg, prompt)
    np.save(os.path.join(path, "logits.npy"), logits.astype(np.float32))
    gen_prompt = [int(i) for i in prompt[:12]]
    new_ids, margin = greedy(w, cfg, gen_prompt, 16)
    with open(os.path.join(path, "reference.json"), "w") as f:
        json.dump({"writer": "tools/model/make_numpy_fixtures.py", "numpy": np.__version__, "seed": seed,
                   "prompt": [int(i) for i in prompt], "logits": "logits.npy (positions x vocab, float32 of float64)",
                   "greedy_prompt": gen_prompt, "greedy_new_ids": new_ids, "greedy_min_margin": margin}, f, indent=1)
    print(name, "greedy margin", margin, "max |logit|", float(np.abs(logits).max()))


def main():
    out = sys.argv[1]
    tied = {"M": 48, "D": 96, "N": 16, "K": 4, "R": 3, "V": 256, "layers": 2, "eps": 1e-5, "tied": True}
    write_model(out, "np_tied", tied, {
        "architectures": ["MambaForCausalLM"], "model_type": "mamba", "hidden_size": 48, "intermediate_size": 96,
        "num_hidden_layers": 2, "state_size": 16, "conv_kernel": 4, "expand": 2, "time_step_rank": 3,
        "vocab_size": 256, "layer_norm_epsilon": 1e-5, "use_bias": False, "use_conv_bias": True,
        "hidden_act": "silu", "residual_in_fp32": True, "tie_word_embeddings": True, "torch_dtype": "float32"},
        lambda n: "F32", 1, 61)
    untied = {"M": 32, "D": 64, "N": 8, "K": 3, "R": 2, "V": 256, "layers": 3, "eps": 1e-5, "tied": False}
    mixed = lambda n: "BF16" if "in_proj" in n or "out_proj" in n else ("F16" if "x_proj" in n or "lm_head" in n
                                                                        else "F32")
    write_model(out, "np_untied", untied, {
        "d_model": 32, "n_layer": 3, "vocab_size": 250, "pad_vocab_size_multiple": 8, "rms_norm": True,
        "residual_in_fp32": True, "fused_add_norm": True, "tie_embeddings": False,
        "ssm_cfg": {"d_state": 8, "d_conv": 3}}, mixed, 2, 62)


if __name__ == "__main__":
    main()
