#!/usr/bin/env python3
"""Writes transformers reference fixtures for corey's Mamba ModelRunner (issue 6, done-when 1).

Run on a machine with torch and transformers (no network needed: the models are built from configs and
random initialisation, nothing is downloaded):

    python3 tools/model/make_hf_fixtures.py OUT_DIR
    # then copy OUT_DIR/* to tests/data/model_hf/

For each of two tiny MambaForCausalLM models — hf_tied (d_model 64, 2 layers, vocab 256, tied head) and
hf_untied (d_model 96, 3 layers, vocab 512, state_size 8, separate lm_head) — it writes OUT_DIR/<name>/ with
  config.json, model.safetensors   save_pretrained(safe_serialization=True)
  logits.npy                        transformers' fp32 logits (300 x vocab) of a 300-token random prompt,
                                    computed on the CPU (the slow reference path); row t is the last-position
                                    logits of the prompt's first t + 1 tokens, so lengths 1…300 are covered
  reference.json                    the prompt, a 16-token greedy prompt with 24 greedy new ids (argmax loop
                                    without cache, cross-checked against generate() with the cache), the
                                    smallest top-1/top-2 margin, and the library versions
"""
import argparse
import json
import os

import numpy as np
import torch
import transformers
from transformers import MambaConfig, MambaForCausalLM

MODELS = [
    {"name": "hf_tied", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 256, "state_size": 16,
     "tie_word_embeddings": True, "seed": 601},
    {"name": "hf_untied", "hidden_size": 96, "num_hidden_layers": 3, "vocab_size": 512, "state_size": 8,
     "tie_word_embeddings": False, "seed": 602},
]
PROMPT_LENGTH = 300
GREEDY_PROMPT = 16
GREEDY_NEW = 24


def build(spec):
    torch.manual_seed(spec["seed"])
    config = MambaConfig(
        vocab_size=spec["vocab_size"], hidden_size=spec["hidden_size"], state_size=spec["state_size"],
        num_hidden_layers=spec["num_hidden_layers"], expand=2, conv_kernel=4, use_bias=False, use_conv_bias=True,
        hidden_act="silu", layer_norm_epsilon=1e-5, residual_in_fp32=True, time_step_rank="auto",
        tie_word_embeddings=spec["tie_word_embeddings"], bos_token_id=0, eos_token_id=0, pad_token_id=0)
    model = MambaForCausalLM(config).to(torch.float32).eval()
    # The default init leaves the norms at 1 and D at 1; perturb them so every parameter reaches the logits.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or name.endswith("norm_f.weight") or name.endswith("mixer.D"):
                p.add_(0.1 * torch.randn_like(p))
        if not spec["tie_word_embeddings"]:
            model.lm_head.weight.copy_(0.1 * torch.randn_like(model.lm_head.weight))
    return model


@torch.no_grad()
def last_logits(model, ids):
    return model(torch.tensor([ids]), use_cache=False).logits[0, -1].float()


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    out_dir = parser.parse_args().out_dir
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    for spec in MODELS:
        model = build(spec)
        path = os.path.join(out_dir, spec["name"])
        os.makedirs(path, exist_ok=True)
        model.save_pretrained(path, safe_serialization=True)
        gen = torch.Generator().manual_seed(spec["seed"] + 1000)
        prompt = torch.randint(0, spec["vocab_size"], (PROMPT_LENGTH,), generator=gen).tolist()
        logits = model(torch.tensor([prompt]), use_cache=False).logits[0].float().numpy()
        np.save(os.path.join(path, "logits.npy"), logits.astype(np.float32))

        greedy_prompt = prompt[:GREEDY_PROMPT]
        ids = list(greedy_prompt)
        margin = float("inf")
        for _ in range(GREEDY_NEW):
            row = last_logits(model, ids)
            top = torch.topk(row, 2).values
            margin = min(margin, float(top[0] - top[1]))
            ids.append(int(torch.argmax(row)))
        new_ids = ids[GREEDY_PROMPT:]
        generated = model.generate(torch.tensor([greedy_prompt]), do_sample=False, max_new_tokens=GREEDY_NEW,
                                   min_new_tokens=GREEDY_NEW, use_cache=True)[0, GREEDY_PROMPT:].tolist()
        if generated != new_ids:
            print(f"warning: {spec['name']}: generate() with the cache gave {generated}, the argmax loop {new_ids}")
        with open(os.path.join(path, "reference.json"), "w") as f:
            json.dump({"writer": "tools/model/make_hf_fixtures.py", "transformers": transformers.__version__,
                       "torch": torch.__version__, "spec": spec, "prompt": prompt,
                       "logits": "logits.npy (positions x vocab, float32)", "greedy_prompt": greedy_prompt,
                       "greedy_new_ids": new_ids, "generate_new_ids": generated, "greedy_min_margin": margin},
                      f, indent=1)
        print(f"{spec['name']}: max |logit| {float(np.abs(logits).max()):.3f}, greedy margin {margin:.4g}")


if __name__ == "__main__":
    main()
