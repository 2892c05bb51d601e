#!/bin/bash
# `corey generate` on a small checkpoint gives the greedy ids and prompt logits of an independent float64
# numpy forward pass (tests/data/model/np_tied/reference.json, written by tools/model/make_numpy_fixtures.py).
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}  # needs numpy for some checks; CTest passes the one it found
rm -rf "$scratch" && mkdir -p "$scratch"
ckpt="$src/tests/data/model/np_tied"
read -r prompt n_new < <("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(",".join(map(str, r["greedy_prompt"])), len(r["greedy_new_ids"]))' "$ckpt/reference.json")
out=$("$corey" generate --checkpoint "$ckpt" --ids "$prompt" --new-tokens "$n_new" --json --logits-out "$scratch/logits.npy")
"$PY" - "$ckpt/reference.json" "$out" "$scratch/logits.npy" <<'PY'
import json, sys
import numpy as np
ref = json.load(open(sys.argv[1]))
got = json.loads(sys.argv[2])
assert got["new_ids"] == ref["greedy_new_ids"], (got["new_ids"], ref["greedy_new_ids"])
logits = np.load(sys.argv[3])
assert logits.dtype == np.float32 and logits.shape[0] == len(ref["greedy_prompt"]), logits.shape
print(f"greedy ids match the numpy reference; logits {logits.shape}")
PY
set +e
"$corey" generate --checkpoint "$scratch/missing" --ids 1 --new-tokens 1 >/dev/null 2>&1
code=$?
set -e
[ "$code" = 3 ] || { echo "missing checkpoint exited $code, expected 3"; exit 1; }
