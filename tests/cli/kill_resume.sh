#!/bin/bash
# SIGKILL in the middle of a sweep: the JSONL stream holds every finished point, --resume runs only the
# rest, and the final results equal an uninterrupted run's apart from timings.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}  # needs numpy for some checks; CTest passes the one it found
rm -rf "$scratch" && mkdir -p "$scratch"
cat >"$scratch/sweep.yaml" <<'YAML'
schema: corey.spec/1
name: kill_resume
experiment: costmodel
params: {repeats: 1}
sweep:
  product:
    seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
YAML
"$corey" costmodel "$scratch/sweep.yaml" --out "$scratch/whole" --quiet

"$corey" costmodel "$scratch/sweep.yaml" --out "$scratch/killed" --quiet &
pid=$!
stream="$scratch/killed/results.jsonl"
for _ in $(seq 2000); do
  [ -s "$stream" ] && [ "$(wc -l <"$stream")" -ge 2 ] && break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
finished=$(wc -l <"$stream")
[ "$finished" -ge 1 ] || { echo "no finished point before the kill"; exit 1; }
[ "$finished" -lt 12 ] || { echo "the run finished before the kill; nothing to resume"; exit 1; }
[ ! -e "$scratch/killed/results.json" ] || { echo "results.json written by a killed run"; exit 1; }

# Without --resume the finished work is protected, not overwritten.
set +e
"$corey" costmodel "$scratch/sweep.yaml" --out "$scratch/killed" --quiet 2>/dev/null
code=$?
set -e
[ "$code" = 2 ] || { echo "rerun without --resume exited $code, expected 2"; exit 1; }

"$corey" costmodel "$scratch/sweep.yaml" --out "$scratch/killed" --resume --quiet
"$PY" - "$scratch" "$finished" <<'PY'
import json, sys
scratch, finished = sys.argv[1], int(sys.argv[2])
lines = [json.loads(l) for l in open(scratch + "/killed/results.jsonl") if l.strip()]
assert len(lines) == 12, f"{len(lines)} lines: resume re-ran finished points or missed some"
killed = json.load(open(scratch + "/killed/results.json"))
whole = json.load(open(scratch + "/whole/results.json"))
assert killed["run"]["status"] == "complete"
TIMING = {"fingerprint", "measure", "time_s", "outliers", "clock", "throughput", "samples", "wall_s"}
strip = lambda r: {k: v for k, v in r.items() if k not in TIMING}
assert [strip(r) for r in killed["results"]] == [strip(r) for r in whole["results"]]
assert killed["tables"] == whole["tables"]
print(f"killed after {finished}/12 points; resume completed the rest; results equal")
PY
