#!/bin/bash
# `corey plan` prints the point count, ids and skipped points with reasons; reordering the axes of a spec
# leaves the point ids unchanged.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}  # needs numpy for some checks; CTest passes the one it found
rm -rf "$scratch" && mkdir -p "$scratch"
cat >"$scratch/a.yaml" <<'YAML'
schema: corey.spec/1
name: axes_a
experiment: costmodel
params: {repeats: 1}
sweep:
  product:
    seed: [1, 2, 3]
    tau: [0.45, 0.52]
  where: ["!(seed == 3 && tau == 0.45)"]
YAML
cat >"$scratch/b.yaml" <<'YAML'
schema: corey.spec/1
name: axes_b
experiment: costmodel
params: {repeats: 1}
sweep:
  product:
    tau: [0.45, 0.52]
    seed: [1, 2, 3]
  where: ["!(seed == 3 && tau == 0.45)"]
YAML
plan_a=$("$corey" plan "$scratch/a.yaml")
grep -q "^5 points, 1 skipped" <<<"$plan_a" || { echo "unexpected plan: $plan_a"; exit 1; }
grep -q "where: !(seed == 3 && tau == 0.45)" <<<"$plan_a" || { echo "skip reason missing: $plan_a"; exit 1; }
ids() { "$corey" plan "$1" --json | "$PY" -c 'import json,sys; print("\n".join(sorted(p["point_id"] for p in json.load(sys.stdin)["planned"])))'; }
[ "$(ids "$scratch/a.yaml")" = "$(ids "$scratch/b.yaml")" ] || { echo "ids changed when axes were reordered"; exit 1; }
[ "$(ids "$scratch/a.yaml" | wc -l)" = 5 ]
echo "plan ids stable"
