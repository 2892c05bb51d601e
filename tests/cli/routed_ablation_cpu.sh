#!/bin/bash
# The CPU routed-ablation smoke spec: every scheduler row under passive / active-only / routed in one point,
# honoured chunks on every scan call, 100 % greedy agreement, decision histograms without warm-ups, the
# held-out static oracle; the device_* rows (statistic and rule evaluated by the model backend) decide
# exactly as their host rows and need no host sync; the LongBench quality point lists the dirty shared
# records with file:line. `corey plan` must accept the paper specs (meant for the GPU).
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}
rm -rf "$scratch" && mkdir -p "$scratch"
export COREY_SHARED_DIR="$src/../shared"
if ! "$corey" routed-ablation "$src/experiments/smoke/routed_ablation_cpu.yaml" --dry-run >"$scratch/plan.txt" 2>&1; then
  cat "$scratch/plan.txt"; exit 1
fi
[ -d "$COREY_SHARED_DIR/data/longbench" ] || { echo "no shared LongBench data at $COREY_SHARED_DIR"; exit 77; }
start=$(date +%s)
"$corey" routed-ablation "$src/experiments/smoke/routed_ablation_cpu.yaml" --backend cpu --out "$scratch/run" --format md --quiet
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -lt 60 ] || { echo "smoke run took ${elapsed}s (limit 60 s)"; exit 1; }
"$PY" - "$scratch/run/results.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
assert res["run"]["status"] == "complete", res["run"]["status"]
results = res["results"]
assert [r["status"] for r in results] == ["ok", "ok"], [(r["status"], r["reason"]) for r in results]
matrix, quality = results
spec_rows = matrix["params"]["rows"]
rows = matrix["metrics"]["rows"]
assert [r["row"] for r in rows] == spec_rows and len(rows) == 24, [r["row"] for r in rows]
assert matrix["chunk_report"]["honoured"] and matrix["chunk_report"]["scan_calls"] == matrix["chunk_report"]["honoured_calls"] > 0
rounds = matrix["measure"]["rounds"]
layers = matrix["model"]["config"]["n_layer"]
assert matrix["measure"]["cells"] == 49 and matrix["measure"]["order"] == "interleaved_rotated"
assert matrix["metrics"]["passive"]["n"] == rounds
for r in rows:
    for cond in ("active_only", "routed"):
        assert r["conditions"][cond]["n"] == rounds, (r["row"], cond)
        assert r["conditions"][cond]["output_mismatches_vs_passive"] == 0, r["row"]
    e = r["equivalence"]
    assert e["greedy_exact"] and e["agreement"] == 1.0 and e["bitwise_equal"] and e["max_abs_logit_diff"] == 0.0, (r["row"], e)
    d = r["decisions"]
    assert d["warmups_excluded"] and sum(d["histogram"].values()) == d["decisions"] == rounds * layers, (r["row"], d)
    assert d["adaptivity"] in ("none", "some")
    no_stat = ("no_entropy_mid", "random_seed_0", "seqlen_table", "device_seqlen_table")
    assert r["computes_statistic"] == (r["row"] not in no_stat and not r["row"].startswith("static_chunk_")), r["row"]
    assert r["host_syncs_per_forward"] == 0, r["row"]
    assert r["stats_on"] == ("none" if not r["computes_statistic"] else "backend" if r["row"].startswith("device_") else "host"), r
    if r["row"].startswith("device_"):
        host = next(h for h in rows if h["row"] == r["row"][len("device_"):])
        assert r["device_row_of"] == host["row"]
        assert d["histogram"] == host["decisions"]["histogram"] and d["entropy"] == host["decisions"]["entropy"], (r["row"], d, host["decisions"])
        assert d.get("rule_mismatches", 0) == 0, d
    v = r["vs_best_static"]
    assert v["oracle"] == "heldout" and v["oracle_row"].startswith("static_chunk_") and v["lo"] <= v["ratio_median"] <= v["hi"], v
assert matrix["metrics"]["host_syncs_per_forward"] == 0
tables = {t["table"]: t for t in res["tables"]}
m = tables["routed_ablation.matrix"]
cols = [c["name"] for c in m["columns"]]
for needed in ("row", "passive", "active_only", "routed", "routed_lo", "routed_hi", "vs_best_static", "vs_best_static_lo",
               "vs_best_static_hi", "oracle_row", "indistinguishable", "adaptivity", "host_syncs_per_forward"):
    assert needed in cols, needed
assert len(m["rows"]) == 24 and "routed_ablation.equivalence" in tables
c = tables["routed_ablation.conditions"]
assert len(c["rows"]) == 1 + 2 * 24, len(c["rows"])
ccols = [x["name"] for x in c["columns"]]
assert all(row["cells"][ccols.index("host_syncs_per_prefill")] == 0 for row in c["rows"])
dirty = [(d["file"].rsplit("/", 1)[-1], d["line"]) for d in quality["dirty_records"] if d["record"] == "skipped"]
boms = sorted(d["file"].rsplit("/", 1)[-1] for d in quality["dirty_records"] if d["record"] == "kept")
assert boms == ["gov_report.jsonl", "multifieldqa_en.jsonl", "qasper.jsonl"], boms
assert dirty == [("multifieldqa_en.jsonl", 31), ("gov_report.jsonl", 22), ("gov_report.jsonl", 34)], dirty
for row in quality["metrics"]["rows"]:
    o = row["overall"]
    assert o["prompts"] == o["greedy_exact"] > 0 and o["ppl_ratio_max_dev"] == 0.0, row
assert len(tables["routed_ablation.dirty_records"]["rows"]) == 6
print(f"matrix: {len(rows)} rows x 3 conditions, {rounds} rounds, {matrix['chunk_report']['scan_calls']} scan calls honoured; "
      f"quality: {quality['metrics']['rows'][0]['overall']['prompts']} prompts, {len(dirty)} dirty records")
PY
[ -s "$scratch/run/tables/routed_ablation.matrix.md" ]
for spec in routed_ablation routed_quality hook_micro; do
  "$corey" plan "$src/experiments/paper/$spec.yaml" --json >"$scratch/$spec.plan.json"
  "$PY" -c "import json,sys; p=json.load(open(sys.argv[1])); assert p['experiment']=='routed-ablation' and p['points']==1, p" \
    "$scratch/$spec.plan.json"
done
