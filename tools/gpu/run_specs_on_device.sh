#!/usr/bin/env bash
# One device call: the GPU tests, the kernel-sweep paper and perf specs through the real `corey` CLI, and
# (with MAKE_HF_FIXTURES=1) the transformers fixtures for the model tests. Every output lands flat in $OUT (the device tool brings
# back at most 8 files), named for results/h200/.
#
#   tools/gpu/run_specs_on_device.sh PREBUILT_DIR
#
# PREBUILT_DIR holds corey, test_gpu_scan, test_gpu_stats and lib/ (the shared libraries they were linked
# against: the GPU image has no yaml-cpp 0.7): the device image lacks the Debian build dependencies, so the
# binaries are built beside the checkout and carried.
set -uo pipefail
BIN=$1  # kept relative to the checkout: results record argv, and no machine path belongs in them
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT" gpu-out
# corey links cuBLAS from the CUDA toolkit; the prebuilt lib/ holds what the GPU image lacks.
export LD_LIBRARY_PATH="$(cd "$BIN" && pwd)/lib:${CUDA_HOME:-/usr/local/cuda}/targets/x86_64-linux/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log="$OUT/device_run.log"
: > "$log"

"$BIN/corey" env > "$OUT/env.json" 2>> "$log"
{ "$BIN/test_gpu_scan"; "$BIN/test_gpu_stats"; } > "$OUT/gpu_tests.log" 2>&1
echo "gpu tests rc=$?" >> "$log"

run_spec() {
  local spec=$1 name=$2 limit=$3
  timeout "$limit" "$BIN/corey" kernel-sweep "$spec" --backend cuda --out "gpu-out/run_$name" --quiet >> "$log" 2>&1
  echo "$name rc=$?" >> "$log"
  cp "gpu-out/run_$name/results.json" "$OUT/$name.json" 2>> "$log"
  "$BIN/corey" report "$OUT/$name.json" --format md > "$OUT/$name.md" 2>> "$log"
  rm -rf "gpu-out/run_$name"
}
run_spec experiments/paper/kernel_sweep_table1.yaml kernel_sweep_table1 120
run_spec experiments/perf/scan_grid.yaml scan_grid 400

if [ -n "${MAKE_HF_FIXTURES:-}" ] && python3 -c "import transformers, torch" 2>/dev/null; then
  python3 tools/model/make_hf_fixtures.py "$OUT/model_hf" >> "$log" 2>&1
  echo "hf fixtures rc=$?" >> "$log"
  tar -C "$OUT" -czf "$OUT/model_hf.tar.gz" model_hf && rm -rf "$OUT/model_hf"
fi
cat "$log"
