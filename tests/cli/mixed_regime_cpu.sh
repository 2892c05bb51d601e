#!/bin/bash
# The CPU mixed-regime smoke spec: the paper's prompt pool byte for byte (the pool point's artifact
# pool.jsonl, found through the record that lists it, hashed here with Python's hashlib against PAPER.md
# §6.7), the feature scan's GO/STOP summary, the static sweep with the fitted sequence-length rule exported as
# the artifact learned_table.json; then routed-ablation's CPU smoke spec runs its seqlen_table /
# learned_table rows from that exported file. `corey plan` must accept the paper specs.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}
rm -rf "$scratch" && mkdir -p "$scratch"
if ! "$corey" mixed-regime "$src/experiments/smoke/mixed_regime_cpu.yaml" --dry-run >"$scratch/plan.txt" 2>&1; then
  cat "$scratch/plan.txt"; exit 1
fi
start=$(date +%s)
"$corey" mixed-regime "$src/experiments/smoke/mixed_regime_cpu.yaml" --backend cpu --out "$scratch/run" --format md --quiet
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -lt 60 ] || { echo "smoke run took ${elapsed}s (limit 60 s)"; exit 1; }

# The path of the one artifact called $2 of the results file $1, checked against the size and SHA-256 its
# record lists; its file is relative to the run's out dir.
artifact() {
  "$PY" - "$1" "$2" <<'PY'
import hashlib, json, os, sys
res = json.load(open(sys.argv[1]))
hits = [(r, a) for r in res["results"] for a in r.get("artifacts", []) if a["name"] == sys.argv[2]]
assert len(hits) == 1, (sys.argv[2], hits)
record, listed = hits[0]
assert listed["file"] == f"artifacts/{record['point_id']}/{sys.argv[2]}", listed
path = os.path.join(os.path.dirname(sys.argv[1]), listed["file"])
data = open(path, "rb").read()
assert len(data) == listed["bytes"] and hashlib.sha256(data).hexdigest() == listed["sha256"], listed
print(path)
PY
}
pool_jsonl=$(artifact "$scratch/run/results.json" pool.jsonl)
fitted_rule=$(artifact "$scratch/run/results.json" learned_table.json)
"$PY" - "$scratch/run/results.json" "$pool_jsonl" "$fitted_rule" <<'PY'
import hashlib, json, sys
res = json.load(open(sys.argv[1]))
assert res["run"]["status"] == "complete", res["run"]["status"]
pool_point, scan, sweep = res["results"]
assert [r["status"] for r in res["results"]] == ["ok", "ok", "ok"], [(r["status"], r["reason"]) for r in res["results"]]
assert [[a["name"] for a in r.get("artifacts", [])] for r in res["results"]] == [["pool.jsonl"], [], ["learned_table.json"]]
# PAPER.md §6.7 golden digests of the authors' JSONL file and of the prompt bytes.
data = open(sys.argv[2], "rb").read()
assert hashlib.sha256(data).hexdigest() == "475531fa10a65e8cbc0c9829962ba85a3fade299d34061681a7107e2b66e3072"
records = [json.loads(line) for line in data.decode("utf-8").splitlines()]
h = hashlib.sha256()
for r in records:
    h.update(r["prompt"].encode("utf-8") + b"\0")
assert h.hexdigest() == "32ad055c2e55bfb077fa8fc4c845af2cebe224197428087ec36d0d401bec8284"
assert all(r["chars"] == len(r["prompt"]) for r in records)
assert pool_point["pool"]["golden"]["jsonl_sha256_matches"] and len(pool_point["prompts"]) == 160
# Feature scan: one row per (mode, regime); the GO rule recomputed from the rows.
m = scan["metrics"]
assert len(m["rows"]) == 4 * 8
for row in m["rows"]:
    counts = row["chunk_counts"]
    share = max(counts.values()) / sum(counts.values())
    assert abs(share - row["dominant_share"]) < 1e-12 and row["diverse"] == (len(counts) > 1 and share < 0.95), row
diverse = sum(r["diverse"] for r in m["rows"])
assert m["decision"] == ("GO" if diverse >= 3 else "STOP")
layers = scan["model"]["config"]["n_layer"]
assert len(scan["decisions"]) == 4 * 16 and all(len(d["chunks"]) == layers for d in scan["decisions"])
assert scan["chunk_report"]["honoured"]
# Static sweep: every cell every round, honoured chunks, fit and holdout prompts kept apart.
rounds = sweep["measure"]["rounds"]
assert rounds == 6 and sweep["measure"]["cells"] == 32 * 5 and sweep["chunk_report"]["honoured"]
assert sweep["chunk_report"]["scan_calls"] == sweep["chunk_report"]["honoured_calls"] == (1 + rounds) * 32 * 5 * layers
assert sorted({p["set"] for p in sweep["prompts"]}) == ["fit", "holdout"]
assert all((p["set"] == "fit") == (p["sample"] < 2) for p in sweep["prompts"])
assert all(p["tokens"] <= 192 for p in sweep["prompts"])
sm = sweep["metrics"]
policies = {(g["split"], g["weighting"], g["policy"]) for g in sm["global"]}
for split in ("fit", "holdout"):
    for w in ("equal", "traffic"):
        for pol in ("static_chunk_32", "static_chunk_64", "static_chunk_128", "global_best_static", "per_regime_oracle",
                    "seq_len_rule", "sampled_hist_s8", "guarded_sampled_hist_s8"):
            assert (split, w, pol) in policies, (split, w, pol)
# The exported rule is the traffic-weighted fit and agrees with the results.
table = json.load(open(sys.argv[3]))
rule = sm["fitted_rules"][-1]
assert rule["weighting"] == "traffic" and table == rule["learned_table"], (table, rule)
assert sm["rule_artifact"] == {"name": "learned_table.json", "weighting": "traffic"}, sm["rule_artifact"]
assert table["default_chunk"] in (32, 64, 128) and len(table["rules"]) <= 1
tables = {t["table"] for t in res["tables"]}
for t in ("mixed_regime.pool_digest", "mixed_regime.pool_regimes", "mixed_regime.feature_scan", "mixed_regime.feature_scan_modes",
          "mixed_regime.chunk_sweep", "mixed_regime.regime_best", "mixed_regime.policies", "mixed_regime.fitted_rule"):
    assert t in tables, t
print(f"pool golden; feature scan {m['decision']} ({diverse} diverse rows); sweep {rounds} rounds, rule: {rule['rule']}")
PY
[ -s "$scratch/run/tables/mixed_regime.policies.md" ]

# routed-ablation reads the exported rule: its matrix point with the seqlen_table and learned_table rows.
routed="$src/experiments/smoke/routed_ablation_cpu.yaml"
sets=(--set "params.learned_table=$fitted_rule" --set "params.rows=[seqlen_table, learned_table, static_chunk_64]")
"$corey" routed-ablation "$routed" "${sets[@]}" --dry-run --json >"$scratch/routed_plan.json"
point=$("$PY" -c "import json,sys; p=json.load(open(sys.argv[1])); print([x['point_id'] for x in p['planned'] if x['params']['study']=='matrix'][0])" "$scratch/routed_plan.json")
"$corey" routed-ablation "$routed" "${sets[@]}" --point "$point" --backend cpu --out "$scratch/routed" --quiet
"$PY" - "$scratch/routed/results.json" "$fitted_rule" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
(matrix,) = res["results"]
assert matrix["status"] == "ok", matrix["reason"]
rows = {r["row"]: r for r in matrix["metrics"]["rows"]}
assert set(rows) == {"seqlen_table", "learned_table", "static_chunk_64"}, list(rows)
table = json.load(open(sys.argv[2]))
tokens = matrix["prompt"]["tokens"]
rule = table["rules"][0] if table["rules"] else None
expected = rule["chunk"] if rule and tokens <= rule["max_seq_len"] else table["default_chunk"]
for name in ("seqlen_table", "learned_table"):
    assert list(rows[name]["decisions"]["histogram"]) == [str(expected)], (name, rows[name]["decisions"])
print(f"routed-ablation ran the exported table: {tokens}-token prompt -> chunk {expected}")
PY

# A user's pool file: the exported JSONL reads back to the same digests; a bad record stops the run before any
# point with exit 2 and file:line; held-out prompts may not overlap the fit prompts.
pool_spec="$src/experiments/paper/mixed_regime_pool.yaml"
"$corey" mixed-regime "$pool_spec" --set "params.pool={file: $pool_jsonl}" --out "$scratch/user_pool" --quiet
"$PY" -c "
import json, sys
(r,) = json.load(open(sys.argv[1]))['results']
assert r['status'] == 'ok' and r['pool']['records'] == 160, r
assert r['pool']['jsonl_sha256'] == '475531fa10a65e8cbc0c9829962ba85a3fade299d34061681a7107e2b66e3072', r['pool']
" "$scratch/user_pool/results.json"
cmp "$(artifact "$scratch/user_pool/results.json" pool.jsonl)" "$pool_jsonl"
printf '{"id": "a:000", "regime": "a", "prompt": "x"}\n{"id": "a:001", "regime": "a", "prompt": "y", "chars": 2}\n' >"$scratch/bad_pool.jsonl"
rc=0
"$corey" mixed-regime "$pool_spec" --set "params.pool={file: $scratch/bad_pool.jsonl}" --out "$scratch/bad" --quiet 2>"$scratch/bad.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "bad_pool.jsonl:2: 'chars' is 2 but the prompt has 1 code points" "$scratch/bad.err" || { cat "$scratch/bad.err"; exit 1; }
rc=0
"$corey" mixed-regime "$src/experiments/smoke/mixed_regime_cpu.yaml" --set "params.holdout={from: 1, to: 3}" --dry-run 2>"$scratch/overlap.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "held-out prompts must not be fit prompts" "$scratch/overlap.err" || { cat "$scratch/overlap.err"; exit 1; }

for spec in mixed_regime mixed_regime_pool mixed_regime_feature_scan; do
  "$corey" plan "$src/experiments/paper/$spec.yaml" --json >"$scratch/$spec.plan.json"
  "$PY" -c "import json,sys; p=json.load(open(sys.argv[1])); assert p['experiment']=='mixed-regime' and p['points']==1, p" \
    "$scratch/$spec.plan.json"
done
