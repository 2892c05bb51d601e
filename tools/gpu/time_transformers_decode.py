#!/usr/bin/env python3
"""Times transformers' MambaForCausalLM on a checkpoint directory (e.g. one written by `corey make-checkpoint`),
batch 1 on the GPU, beside corey's own model benchmark (issue 6, done-when 3):

    python3 tools/gpu/time_transformers_decode.py --checkpoint DIR --dtype fp32|bf16 [--label mamba-130m] --out FILE.json

decode_per_token_s: greedy generate() of 1 + n new tokens minus generate() of 1 new token, divided by n (the
difference removes the prefill); prefill_tokens_per_s: one forward over a prompt with use_cache=True. Both are
medians of repeated CUDA-synchronized wall-clock runs after a warm-up. Records whether transformers had the
mamba_ssm / causal_conv1d CUDA kernels (without them it runs its sequential PyTorch path).
"""
import argparse
import json
import statistics
import time

import torch
import transformers
from transformers import MambaForCausalLM

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def wall_s(fn, repeats):
    fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        samples.append(time.perf_counter() - start)
    return samples


def kernels_available():
    try:
        from transformers.utils.import_utils import is_causal_conv1d_available, is_mamba_ssm_available
        return {"mamba_ssm": bool(is_mamba_ssm_available()), "causal_conv1d": bool(is_causal_conv1d_available())}
    except ImportError:
        return {"mamba_ssm": None, "causal_conv1d": None}


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="fp32")
    parser.add_argument("--label", default="")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--prompt-lengths", default="128,1024")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    model = MambaForCausalLM.from_pretrained(args.checkpoint, torch_dtype=DTYPES[args.dtype]).to("cuda").eval()
    vocab = model.config.vocab_size
    generator = torch.Generator().manual_seed(0)
    prompt = torch.randint(0, vocab, (1, 128), generator=generator).to("cuda")

    def generate(n):
        return lambda: model.generate(prompt, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                                      pad_token_id=0, eos_token_id=None)

    one = wall_s(generate(1), args.repeats)
    many = wall_s(generate(1 + args.new_tokens), args.repeats)
    decode_s = (statistics.median(many) - statistics.median(one)) / args.new_tokens

    prefill = {}
    for length in [int(x) for x in args.prompt_lengths.split(",")]:
        ids = torch.randint(0, vocab, (1, length), generator=generator).to("cuda")
        samples = wall_s(lambda: model(ids, use_cache=True), args.repeats)
        prefill[str(length)] = {"time_s": statistics.median(samples),
                                "tokens_per_s": length / statistics.median(samples)}

    result = {
        "implementation": "transformers MambaForCausalLM",
        "label": args.label,
        "dtype": args.dtype,
        "parameters": sum(p.numel() for p in model.parameters()),
        "decode_per_token_s": decode_s,
        "decode_method": f"median generate(1+{args.new_tokens}) minus median generate(1), / {args.new_tokens}",
        "generate_wall_s": {"1": one, str(1 + args.new_tokens): many},
        "prefill": prefill,
        "cuda_kernels": kernels_available(),
        "gpu": torch.cuda.get_device_name(0),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "cuda": torch.version.cuda},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(args.label, args.dtype, f"decode {decode_s * 1e6:.0f} us/token")


if __name__ == "__main__":
    main()
