#!/bin/bash
# `corey merge` over shard outputs: complete shards merge into the unsharded result; a missing shard, a
# duplicated shard or a shard of another spec is a coverage error (exit 5) that writes nothing;
# --allow-partial writes status partial with the missing ids; a killed shard resumed with --resume fills
# its holes and the merge is complete again.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}
rm -rf "$scratch" && mkdir -p "$scratch"
spec="$src/experiments/smoke/costmodel_tiny.yaml"
for i in 0 1 2; do
  "$corey" costmodel "$spec" --out "$scratch/run" --shard-index $i --shard-count 3 --quiet
done
"$corey" merge "$scratch/run" -o "$scratch/merged.json" >/dev/null

expect_exit() {
  local want=$1; shift
  set +e
  "$@" >"$scratch/out.txt" 2>&1
  local code=$?
  set -e
  [ "$code" = "$want" ] || { echo "$* exited $code, expected $want:"; cat "$scratch/out.txt"; exit 1; }
}
expect_exit 5 "$corey" merge "$scratch/run/shard-0000-of-0003.json" "$scratch/run/shard-0001-of-0003.json" -o "$scratch/missing.json"
grep -q "missing" "$scratch/out.txt"
[ ! -e "$scratch/missing.json" ] || { echo "a failed merge wrote its output"; exit 1; }
expect_exit 5 "$corey" merge "$scratch/run" "$scratch/run/shard-0001-of-0003.json" -o "$scratch/dup.json"
grep -q "duplicate" "$scratch/out.txt"
"$corey" costmodel "$spec" --set params.repeats=2 --out "$scratch/other" --shard-index 2 --shard-count 3 --quiet
expect_exit 5 "$corey" merge "$scratch/run/shard-0000-of-0003.json" "$scratch/run/shard-0001-of-0003.json" \
  "$scratch/other/shard-0002-of-0003.json" -o "$scratch/mixed.json"
grep -q "spec hash" "$scratch/out.txt"

"$corey" merge "$scratch/run/shard-0000-of-0003.json" "$scratch/run/shard-0001-of-0003.json" --allow-partial \
  -o "$scratch/partial.json" >/dev/null
"$corey" costmodel "$spec" --out "$scratch/single" --quiet

# A shard whose stream lost its last points (a crash), resumed: only the holes run again.
head -n 1 "$scratch/run/shard-0002-of-0003.jsonl" >"$scratch/cut.jsonl"
mv "$scratch/cut.jsonl" "$scratch/run/shard-0002-of-0003.jsonl"
rm "$scratch/run/shard-0002-of-0003.json"
"$corey" costmodel "$spec" --out "$scratch/run" --shard-index 2 --shard-count 3 --resume --quiet
"$corey" merge "$scratch/run" -o "$scratch/resumed.json" >/dev/null

"$PY" - "$scratch" <<'PY'
import json, sys
d = sys.argv[1]
load = lambda n: json.load(open(f"{d}/{n}"))
merged, single, partial, resumed = load("merged.json"), load("single/results.json"), load("partial.json"), load("resumed.json")
TIMING = {"fingerprint", "wall_s", "solver_mean_us"}
def scrub(v):
    if isinstance(v, dict):
        return {k: scrub(x) for k, x in v.items() if k not in TIMING}
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v
assert merged["run"]["status"] == "complete" and resumed["run"]["status"] == "complete"
assert scrub(merged["results"]) == scrub(single["results"]), "merged records differ from the unsharded run"
assert scrub(resumed["results"]) == scrub(single["results"]), "resumed shard differs from the unsharded run"
assert partial["run"]["status"] == "partial"
third = [p for i, p in enumerate(single["run"]["planned"]) if i % 3 == 2]
assert sorted(partial["run"]["missing"]) == sorted(third), (partial["run"]["missing"], third)
assert len(merged["run"]["shard"]["merged_from"]) == 3
# One shard's timing, devices and workers stay with that shard, not in the merged run block (the shard files
# as they are now, i.e. after the resume, are the ones resumed.json was merged from).
assert not {"wall_s", "devices", "workers"} & set(resumed["run"]), sorted(resumed["run"])
shards = [json.load(open(p["file"])) for p in resumed["run"]["shard"]["merged_from"]]
for prov, shard in zip(resumed["run"]["shard"]["merged_from"], shards):
    assert all(prov[k] == shard["run"][k] for k in ("wall_s", "devices", "workers", "started_at", "finished_at")), prov
assert resumed["run"]["started_at"] == min(s["run"]["started_at"] for s in shards)
assert resumed["run"]["finished_at"] == max(s["run"]["finished_at"] for s in shards)
stream = [json.loads(l) for l in open(f"{d}/run/shard-0002-of-0003.jsonl") if l.strip()]
assert sorted(r["point_id"] for r in stream) == sorted(third), "resume re-ran a finished point or missed one"
print(f"merge ok: {len(merged['results'])} points; partial lists {len(third)} missing; resume filled the holes")
PY
