#!/bin/bash
# The CPU kernel-sweep smoke spec writes the chunk-sweep table with accuracy fields and the policy table
# with each policy row's chosen chunk; every point is verified against the fp64 oracle.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}  # needs numpy for some checks; CTest passes the one it found
rm -rf "$scratch" && mkdir -p "$scratch"
"$corey" kernel-sweep "$src/experiments/smoke/kernel_sweep_cpu.yaml" --backend cpu --out "$scratch/run" --quiet
"$PY" - "$scratch/run/results.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
assert res["run"]["status"] == "complete"
assert all(r["status"] == "ok" for r in res["results"]), [(r["point_id"], r["status"], r["reason"]) for r in res["results"]]
tables = {t["table"]: t for t in res["tables"]}
sweep = next(t for name, t in tables.items() if name.endswith("chunk_sweep"))
cols = [c["name"] for c in sweep["columns"]]
for needed in ("chunk", "latency", "max_abs_err", "bitwise_vs_single", "recurrence_preserving"):
    assert needed in cols, (needed, cols)
for r in res["results"]:
    v = r["verify"]
    assert v["checked"] and v["finite"], v
    mode = r["params"]["chunk_mode"]
    if mode == "reset":
        assert r["faithful_to_paper"] and "F1" in r["inherits_flaws"]
        assert r["chunk_report"]["recurrence_preserving"] is False
    else:
        assert v["max_abs_err"] <= 1e-5, v
        assert r["chunk_report"]["honoured"], r["chunk_report"]
policy = next(t for name, t in tables.items() if name.endswith("policy"))
pcols = [c["name"] for c in policy["columns"]]
chosen = [row["cells"][pcols.index("chunk")] for row in policy["rows"] if row["cells"][pcols.index("policy")] == "corey"]
assert chosen and all(isinstance(c, int) and c > 0 for c in chosen), chosen
print(f"{len(res['results'])} points ok; policy rows chose {chosen}")
PY
