#!/usr/bin/env bash
# Runs the authors' Tier-1 code (github.com/mabo1215/COREY_Transformer) for one configuration and leaves
# its CSV outputs in OUT_DIR; corey's tests use such outputs as fixtures for non-default configurations.
#
#   tools/authors_costmodel_reference.sh CHECKOUT OUT_DIR [key=value ...]
#       keys: hidden_dim projection_dim tau repeats bins seed (the authors' ExperimentConfig)
#   tools/authors_costmodel_reference.sh --analytic CHECKOUT OUT_DIR
#       href_ablation.csv, bin_count_sensitivity.csv and fused_kernel_sweep.json
#
# CHECKOUT is a directory holding the authors' src/ tree. Needs python3 with numpy (they used 1.24);
# set PYTHON to choose the interpreter (default /usr/bin/python3).
set -euo pipefail

usage() { sed -n '2,12p' "$0" >&2; exit 2; }
python=${PYTHON:-/usr/bin/python3}
analytic=0
if [[ ${1:-} == --analytic ]]; then analytic=1; shift; fi
[[ $# -ge 2 ]] || usage
checkout=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
shift 2
[[ -f $checkout/src/experiments/run_entropy_guided_experiments.py ]] || { echo "no authors' src/ under $checkout" >&2; exit 2; }

if [[ $analytic == 1 ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && PYTHONPATH=$checkout "$python" -m src.experiments.href_ablation >/dev/null &&
   PYTHONPATH=$checkout "$python" -m src.experiments.bin_count_sensitivity >/dev/null &&
   PYTHONPATH=$checkout/src "$python" "$checkout/src/experiments/run_fused_kernel_benchmark.py" --output-dir "$work/fk" >/dev/null)
  cp "$work/src/outputs/href_ablation/href_ablation.csv" "$work/src/outputs/bin_count_sensitivity/bin_count_sensitivity.csv" \
     "$work/fk/fused_kernel_sweep.json" "$out/"
  exit 0
fi

for kv in "$@"; do
  case ${kv%%=*} in
    hidden_dim|projection_dim|tau|repeats|bins|seed) ;;
    *) echo "unknown key '${kv%%=*}' (hidden_dim projection_dim tau repeats bins seed)" >&2; exit 2 ;;
  esac
  [[ ${kv#*=} =~ ^-?[0-9.]+$ ]] || { echo "value of ${kv%%=*} must be a number" >&2; exit 2; }
done
args=$(IFS=,; echo "$*")
PYTHONPATH=$checkout "$python" - "$out" "$args" <<'PY'
import sys
from pathlib import Path
from src.experiments.run_entropy_guided_experiments import ExperimentConfig, run_experiments
out, args = sys.argv[1], sys.argv[2]
kwargs = {}
for item in filter(None, args.split(",")):
    key, value = item.split("=", 1)
    kwargs[key] = float(value) if key == "tau" else int(value)
run_experiments(ExperimentConfig(**kwargs), Path(out))
PY
