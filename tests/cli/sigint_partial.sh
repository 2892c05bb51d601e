#!/bin/bash
# SIGINT in the middle of a sweep: corey finishes or abandons the current point, writes results.json with
# status partial (listing the missing points), and exits 130.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}  # needs numpy for some checks; CTest passes the one it found
rm -rf "$scratch" && mkdir -p "$scratch"
cat >"$scratch/sweep.yaml" <<'YAML'
schema: corey.spec/1
name: sigint
experiment: costmodel
params: {repeats: 1}
sweep:
  product:
    seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
YAML
"$corey" costmodel "$scratch/sweep.yaml" --out "$scratch/run" --quiet &
pid=$!
for _ in $(seq 2000); do
  [ -s "$scratch/run/results.jsonl" ] && break
  sleep 0.01
done
kill -INT "$pid"
set +e
wait "$pid"
code=$?
set -e
[ "$code" = 130 ] || { echo "exit $code, expected 130"; exit 1; }
"$PY" - "$scratch/run" <<'PY'
import json, sys
d = sys.argv[1]
res = json.load(open(d + "/results.json"))
lines = [l for l in open(d + "/results.jsonl") if l.strip()]
assert res["run"]["status"] == "partial", res["run"]["status"]
assert len(res["results"]) == len(lines) and len(lines) < 12
assert len(res["run"]["missing"]) == 12 - len(lines)
print(f"interrupted after {len(lines)} points; partial results written")
PY
