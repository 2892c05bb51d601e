#!/usr/bin/env bash
# One device call for the model tier (issue 6): synthetic checkpoints of the mamba-130m / mamba-370m shapes
# written by `corey make-checkpoint`, transformers timed on them (tools/gpu/time_transformers_decode.py),
# corey's own decode/prefill benchmark when the prebuilt directory has corey_bench_model, and, with
# TRAIN_TEXT=FILE, the tiny byte-level Mamba trained on that text (tools/model/train_tiny_byte_mamba.py).
# Outputs land flat in $OUT (the device tool brings back at most 8 files).
#
#   [TRAIN_TEXT=.gpu-data/kjv.txt] tools/gpu/run_model_on_device.sh PREBUILT_DIR
set -uo pipefail
BIN=$1  # relative to the checkout: results record argv
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT" gpu-out
# corey links cuBLAS from the CUDA toolkit; the prebuilt lib/ holds what the GPU image lacks.
export LD_LIBRARY_PATH="$(cd "$BIN" && pwd)/lib:${CUDA_HOME:-/usr/local/cuda}/targets/x86_64-linux/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log="$OUT/model_run.log"
: > "$log"

if [ -n "${TRAIN_TEXT:-}" ]; then
  timeout 330 python3 tools/model/train_tiny_byte_mamba.py "$TRAIN_TEXT" gpu-out/trained >> "$log" 2>&1
  echo "train rc=$?" >> "$log"
  tar -C gpu-out/trained -czf "$OUT/tiny_byte_kjv.tar.gz" tiny_byte_kjv 2>> "$log"
fi

transformers_runs=()
for size in mamba-130m mamba-370m; do
  "$BIN/corey" make-checkpoint --like "$size" --seed 1 --out "gpu-out/ckpt-$size" >> "$log" 2>&1
  for dtype in fp32 bf16; do
    out="gpu-out/transformers-$size-$dtype.json"
    timeout 120 python3 tools/gpu/time_transformers_decode.py --checkpoint "gpu-out/ckpt-$size" --dtype "$dtype" \
      --label "$size" --out "$out" >> "$log" 2>&1
    echo "transformers $size $dtype rc=$?" >> "$log"
    [ -f "$out" ] && transformers_runs+=("$out")
  done
done
python3 - "${transformers_runs[@]}" > "$OUT/transformers_decode.json" <<'EOF'
import json, sys
print(json.dumps([json.load(open(p)) for p in sys.argv[1:]], indent=1))
EOF

if [ -x "$BIN/corey_bench_model" ]; then
  timeout 240 "$BIN/corey_bench_model" --out "$OUT/model_bench.json" >> "$log" 2>&1
  echo "corey_bench_model rc=$?" >> "$log"
fi
cat "$log"
