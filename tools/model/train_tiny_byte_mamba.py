#!/usr/bin/env python3
"""Trains a tiny byte-level Mamba on the King James Bible, so that tiers 2 and 3 can run on realistic
activations (a trained model's post-conv activations are far from the Gaussian ones of a synthetic
checkpoint). Runs on the GPU machine with torch + transformers, no network:

    tools/model/kjv_text.sh kjv.txt                      # here: the text, from Debian's bible-kjv package
    python3 tools/model/train_tiny_byte_mamba.py kjv.txt OUT_DIR [--time-budget-s 200]
    # then copy OUT_DIR/tiny_byte_kjv to tests/data/

The model is transformers' MambaForCausalLM (vocab 256 = bytes, d_model 192, 4 layers, N 16, expand 2,
conv 4, tied head, about 1.05 M parameters, 4.2 MB in fp32), trained with AdamW on 256-byte windows of the
first 95 % of the verses; the last 5 % are held out. OUT_DIR/tiny_byte_kjv/ receives
  config.json, model.safetensors   save_pretrained(safe_serialization=True), fp32
  logits.npy                        transformers' fp32 logits (positions x 256) of a held-out 200-byte prompt,
                                    computed on the CPU with use_cache=False (the reference path)
  reference.json                    that prompt's ids, 32 greedy new ids (argmax loop without cache, checked
                                    against generate() with the cache), held-out bits per byte, the training
                                    log, and the library versions
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import transformers
from transformers import MambaConfig, MambaForCausalLM

WINDOW = 256
BATCH = 64
HELD_OUT_FRACTION = 0.05
PROMPT_BYTES = 200
GREEDY_NEW = 32


def load_bytes(path):
    with open(path, "rb") as f:
        verses = f.read().split(b"\n")
    split = int(len(verses) * (1 - HELD_OUT_FRACTION))
    train = b"\n".join(verses[:split]) + b"\n"
    held = b"\n".join(verses[split:])
    return np.frombuffer(train, dtype=np.uint8), np.frombuffer(held, dtype=np.uint8)


def build_model(seed):
    torch.manual_seed(seed)
    config = MambaConfig(
        vocab_size=256, hidden_size=192, state_size=16, num_hidden_layers=4, expand=2, conv_kernel=4,
        use_bias=False, use_conv_bias=True, hidden_act="silu", layer_norm_epsilon=1e-5, residual_in_fp32=True,
        time_step_rank="auto", tie_word_embeddings=True, bos_token_id=0, eos_token_id=10, pad_token_id=0)
    return MambaForCausalLM(config)


def batches(data, generator, device):
    while True:
        starts = torch.randint(0, len(data) - WINDOW - 1, (BATCH,), generator=generator)
        rows = np.stack([data[s:s + WINDOW + 1] for s in starts.tolist()])
        yield torch.from_numpy(rows.astype(np.int64)).to(device)


@torch.no_grad()
def held_out_bits_per_byte(model, held, device, windows=64):
    model.eval()
    total, count = 0.0, 0
    for k in range(windows):
        s = k * (len(held) - WINDOW - 1) // windows
        x = torch.from_numpy(held[s:s + WINDOW + 1].astype(np.int64)).to(device)[None]
        logits = model(x[:, :-1], use_cache=False).logits.float()
        total += torch.nn.functional.cross_entropy(logits[0], x[0, 1:], reduction="sum").item()
        count += WINDOW
    model.train()
    return total / count / math.log(2)


def train(model, data, held, device, time_budget_s, seed):
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01, betas=(0.9, 0.95))
    generator = torch.Generator().manual_seed(seed)
    log, start, step = [], time.time(), 0
    model.train()
    for x in batches(data, generator, device):
        elapsed = time.time() - start
        if elapsed > time_budget_s:
            break
        # Cosine decay over the time budget (the step count is not known in advance).
        for group in optimizer.param_groups:
            group["lr"] = 3e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(elapsed / time_budget_s, 1))))
        logits = model(x[:, :-1], use_cache=False).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256).float(), x[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        if step % 100 == 0:
            log.append({"step": step, "time_s": round(time.time() - start, 1),
                        "train_bits_per_byte": loss.item() / math.log(2)})
    return {"steps": step, "time_s": time.time() - start, "batch": BATCH, "window": WINDOW, "log": log,
            "held_out_bits_per_byte": held_out_bits_per_byte(model, held, device)}


@torch.no_grad()
def greedy_without_cache(model, ids, new_tokens):
    out = list(ids)
    for _ in range(new_tokens):
        logits = model(torch.tensor([out]), use_cache=False).logits[0, -1]
        out.append(int(torch.argmax(logits)))
    return out[len(ids):]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("text")
    parser.add_argument("out_dir")
    parser.add_argument("--time-budget-s", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    data, held = load_bytes(args.text)
    model = build_model(args.seed).to(device)
    training = train(model, data, held, device, args.time_budget_s, args.seed)

    model = model.to("cpu").float().eval()
    out = os.path.join(args.out_dir, "tiny_byte_kjv")
    model.save_pretrained(out, safe_serialization=True)

    prompt = [int(b) for b in held[1000:1000 + PROMPT_BYTES]]
    with torch.no_grad():
        logits = model(torch.tensor([prompt]), use_cache=False).logits[0].float().numpy()
    np.save(os.path.join(out, "logits.npy"), logits.astype(np.float32))
    greedy = greedy_without_cache(model, prompt, GREEDY_NEW)
    with torch.no_grad():
        generated = model.generate(torch.tensor([prompt]), max_new_tokens=GREEDY_NEW, do_sample=False,
                                   pad_token_id=0)[0, len(prompt):].tolist()
    if generated != greedy:
        raise SystemExit(f"generate() with the cache disagrees with the no-cache argmax loop: {generated} vs {greedy}")
    top2 = np.sort(logits, axis=1)[:, -2:]
    reference = {
        "model": "tiny_byte_kjv",
        "text": "King James Bible (public domain), Debian package bible-kjv, tools/model/kjv_text.sh",
        "prompt_ids": prompt,
        "greedy_new_ids": greedy,
        "greedy_text": bytes(greedy).decode("utf-8", errors="replace"),
        "min_top1_margin": float(np.min(top2[:, 1] - top2[:, 0])),
        "parameters": sum(p.numel() for p in model.parameters()),
        "training": training,
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__},
    }
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    print(json.dumps({k: reference[k] for k in ("greedy_text", "parameters")}),
          "held-out bits/byte", round(training["held_out_bits_per_byte"], 3), "steps", training["steps"])


if __name__ == "__main__":
    main()
