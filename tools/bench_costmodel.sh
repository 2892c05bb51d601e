#!/usr/bin/env bash
# Wall time of the full default Tier-1 run: `corey costmodel` (pinned to one core) against the authors'
# Python (their default threading), RUNS times each, on this machine. Writes results/cpu/costmodel_bench.json
# with both medians, their ratio and the environment.
#
#   tools/bench_costmodel.sh COREY_BINARY AUTHORS_CHECKOUT [RUNS (default 5)]
#
# AUTHORS_CHECKOUT holds the authors' src/ tree (github.com/mabo1215/COREY_Transformer); PYTHON picks the
# interpreter (default /usr/bin/python3, which needs numpy).
set -euo pipefail

[[ $# -ge 2 ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
corey=$(realpath "$1")
checkout=$(cd "$2" && pwd)
runs=${3:-5}
python=${PYTHON:-/usr/bin/python3}
root=$(cd "$(dirname "$0")/.." && pwd)
spec=$root/experiments/paper/costmodel.yaml
out_json=$root/results/cpu/costmodel_bench.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ours=()
for ((i = 0; i < runs; i++)); do
  start=$(now)
  (cd "$root" && OMP_NUM_THREADS=1 taskset -c 0 "$corey" costmodel --spec "$spec" --out "$work/corey_$i" >/dev/null)
  ours+=("$(elapsed "$start" "$(now)")")
done

theirs=()
for ((i = 0; i < runs; i++)); do
  start=$(now)
  (cd "$work" && PYTHONPATH=$checkout "$python" -m src.experiments.run_entropy_guided_experiments \
     --output-dir "$work/authors_$i" >/dev/null)
  theirs+=("$(elapsed "$start" "$(now)")")
done

ours_median=$(median "${ours[@]}")
theirs_median=$(median "${theirs[@]}")
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
# The binary names the commit it was built from (and whether that tree was dirty).
build=$("$corey" --version)
numpy=$("$python" -c 'import numpy; print(numpy.__version__)')
mkdir -p "$(dirname "$out_json")"
"$python" - "$out_json" <<PY
import json, sys
ours = [float(v) for v in "${ours[*]}".split()]
theirs = [float(v) for v in "${theirs[*]}".split()]
json.dump({
    "benchmark": "costmodel full default spec (experiments/paper/costmodel.yaml)",
    "corey": {"wall_s": ours, "median_s": $ours_median, "threads": 1, "pinned_core": 0},
    "authors_python": {"wall_s": theirs, "median_s": $theirs_median, "numpy": "$numpy"},
    "ratio_corey_over_authors": $ours_median / $theirs_median,
    "environment": {"cpu": "$cpu", "cores": $(nproc), "corey_build": "$build",
                    "kernel": "$(uname -r)"},
}, open(sys.argv[1], "w"), indent=2)
PY
cat "$out_json"
