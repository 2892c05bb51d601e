#!/usr/bin/env bash
# One device call: optionally the GPU tests and the model benchmark, then paper specs through the real
# `corey` CLI on the GPU, each with a wall-clock limit (a run stopped by it writes a `partial` results file
# that says so). Everything is packed into $OUT/paper_runs.tar.gz (the device tool brings back at most 8
# files) beside the log.
#
#   tools/gpu/run_paper_on_device.sh PREBUILT_DIR [--tests] [--model-bench] [--stats-bench] [--rule-overhead]
#                                    [--devices-speedup]
#                                    [SPEC=LIMIT_S[:k=v,...]]...
#
# e.g. tools/gpu/run_paper_on_device.sh .gpu-bin --tests routed_ablation=200:measure.stop.timeout_s=170
# SPEC names a file experiments/paper/SPEC.yaml. PREBUILT_DIR holds corey, the test_gpu_* binaries,
# corey_bench_model and lib/ (shared libraries the GPU image lacks), built beside the checkout.
set -uo pipefail
BIN=$1
shift
OUT=${OUT:-$PWD/gpu-out}
runs=gpu-out/paper  # relative: results record argv and output paths
mkdir -p "$OUT" "$runs"
cuda_lib="${CUDA_HOME:-/usr/local/cuda}/targets/x86_64-linux/lib"
export LD_LIBRARY_PATH="$(cd "$BIN" && pwd)/lib:$cuda_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log="$OUT/paper_run.log"
: > "$log"
"$BIN/corey" env > "$runs/env.json" 2>> "$log"

for arg in "$@"; do
  case "$arg" in
    --tests)
      start=$SECONDS
      for t in "$BIN"/test_gpu_*; do
        COREY_TEST_DATA_DIR="$PWD/tests/data" timeout 150 "$t" > "$runs/$(basename "$t").log" 2>&1
        rc=$?  # before the command substitution below, which would reset $?
        echo "$(basename "$t") rc=$rc ($((SECONDS - start)) s)" >> "$log"
      done ;;
    --model-bench)
      timeout 120 "$BIN/corey_bench_model" --out "$runs/model_bench.json" > "$runs/model_bench.log" 2>&1
      echo "corey_bench_model rc=$?" >> "$log" ;;
    --stats-bench)
      timeout 90 "$BIN/corey_bench_scan" --stats --out "$runs/stats_timing.json" > "$runs/stats_timing.log" 2>&1
      echo "corey_bench_scan --stats rc=$?" >> "$log" ;;
    --rule-overhead)
      timeout 120 "$BIN/corey_bench_model" --rule-overhead --models mamba-370m --dtypes fp16 \
        --out "$runs/rule_overhead.json" > "$runs/rule_overhead.log" 2>&1
      echo "corey_bench_model --rule-overhead rc=$?" >> "$log" ;;
    --devices-speedup)
      start=$SECONDS
      OUT="$runs" tools/gpu/devices_speedup.sh "$BIN" > /dev/null 2>&1
      echo "devices_speedup rc=$? ($((SECONDS - start)) s)" >> "$log" ;;
    *=*)
      name=${arg%%=*}
      rest=${arg#*=}
      limit=${rest%%:*}
      sets=()
      if [ "$rest" != "$limit" ]; then
        IFS=, read -ra pairs <<< "${rest#*:}"
        for kv in "${pairs[@]}"; do sets+=(--set "$kv"); done
      fi
      subcommand=$(sed -n 's/^experiment: *//p' "experiments/paper/$name.yaml")
      start=$SECONDS
      timeout --signal=INT --kill-after=30 "$limit" "$BIN/corey" "$subcommand" "experiments/paper/$name.yaml" \
        --backend cuda --out "$runs/run_$name" --quiet "${sets[@]}" >> "$log" 2>&1
      echo "$name rc=$? ($((SECONDS - start)) s)" >> "$log"
      if cp "$runs/run_$name/results.json" "$runs/$name.json" 2>> "$log"; then
        "$BIN/corey" report "$runs/$name.json" --format md > "$runs/$name.md" 2>> "$log"
        "$BIN/corey" report --paper "$runs/$name.json" --format md > "$runs/$name.paper.md" 2>> "$log"
      fi
      rm -rf "$runs/run_$name" ;;
    *) echo "unknown argument $arg" >> "$log" ;;
  esac
  # Packed after every step, so a call cut short by its time limit still brings back what finished.
  tar -C gpu-out -czf "$OUT/paper_runs.tar.gz" paper
done
cat "$log"
