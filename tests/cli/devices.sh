#!/bin/bash
# `--devices` at the command line: the refusals that need no GPU (a CPU backend, a routed study whose rows
# must share one device, no device at all) exit 2 before anything is written; `--dry-run` touches no
# device. The multi-device runs themselves are covered by tests/unit/experiments/devices_runner_test.cpp
# (fake devices) and tools/gpu/devices_speedup.sh (real ones).
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}
rm -rf "$scratch" && mkdir -p "$scratch"
export COREY_SHARED_DIR="$src/../shared"
sweep="$src/experiments/smoke/kernel_sweep_cpu.yaml"

# Runs corey, expecting exit 2 and a message fragment on stderr, and no output directory.
refused() {
  local fragment=$1; shift
  set +e
  "$corey" "$@" --out "$scratch/out" --quiet 2>"$scratch/err.txt"
  local code=$?
  set -e
  [ "$code" = 2 ] || { echo "corey $* exited $code, expected 2"; cat "$scratch/err.txt"; exit 1; }
  grep -qF -- "$fragment" "$scratch/err.txt" || { echo "corey $*: no '$fragment' in:"; cat "$scratch/err.txt"; exit 1; }
  [ ! -e "$scratch/out" ] || { echo "corey $* wrote $scratch/out"; exit 1; }
}

refused "--devices selects CUDA devices" kernel-sweep "$sweep" --backend cpu --devices 0
refused "expected all or a comma list" kernel-sweep "$sweep" --devices 0,x
"$corey" kernel-sweep "$sweep" --dry-run --devices 0,1 >/dev/null

if "$corey" routed-ablation "$src/experiments/smoke/routed_ablation_cpu.yaml" --dry-run >/dev/null 2>&1; then
  refused "must share one process and one device" routed-ablation "$src/experiments/smoke/routed_ablation_cpu.yaml" \
    --devices 0,1
  # The same rule for the spec's own `devices:` list, named by its key (a spec error), on any machine.
  refused "devices: the points of 'routed-ablation' must share one process" routed-ablation \
    "$src/experiments/smoke/routed_ablation_cpu.yaml" --set "devices=[0,1]"
fi

devices=$("$corey" env | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["devices"]))')
if [ "$devices" = 0 ]; then
  refused "--devices: no CUDA device is available" kernel-sweep "$sweep" --devices all
  refused "--devices: no CUDA device is available" kernel-sweep "$sweep" --devices 0
else
  refused "device $devices is out of range" kernel-sweep "$sweep" --devices "$devices"
fi
echo "--devices refusals: ok ($devices devices visible)"
