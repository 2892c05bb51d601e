#!/bin/bash
# tools/plot_results.py on results made here: the CPU kernel-sweep, routed-ablation and mixed-regime smoke
# specs, a hand-written per-regime table and a file without plottable tables. Every SVG must parse as XML and hold
# the series it is about.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}
rm -rf "$scratch" && mkdir -p "$scratch"
"$corey" kernel-sweep "$src/experiments/smoke/kernel_sweep_cpu.yaml" --backend cpu --out "$scratch/ks" --quiet
"$corey" routed-ablation "$src/experiments/smoke/routed_ablation_cpu.yaml" --out "$scratch/routed" --quiet
"$corey" mixed-regime "$src/experiments/smoke/mixed_regime_cpu.yaml" --out "$scratch/mixed" --quiet
"$PY" - "$scratch" <<'PY'
import json, sys
scratch = sys.argv[1]
table = {"table": "mixed_regime.static_sweep", "columns": [{"name": "regime"}, {"name": "chunk", "unit": "tokens"},
         {"name": "latency", "unit": "ms"}],
         "rows": [{"cells": [r, c, t], "provenance": []} for r, c, t in
                  [("short_chat", 128, 184.1), ("short_chat", 256, 185.5), ("short_chat", 512, 187.6),
                   ("tables_csv", 128, 371.5), ("tables_csv", 256, 349.8), ("tables_csv", 512, 349.7)]]}
run = {"schema": "corey.results/1", "run": {"experiment": "mixed-regime", "name": "regimes"}, "results": [],
       "tables": [table]}
json.dump(run, open(f"{scratch}/regimes.json", "w"))
json.dump({"schema": "corey.results/1", "run": {"experiment": "kernel-sweep", "name": "empty"}, "results": [],
           "tables": []}, open(f"{scratch}/empty.json", "w"))
PY
"$PY" "$src/tools/plot_results.py" "$scratch/ks/results.json" "$scratch/routed/results.json" \
  "$scratch/mixed/results.json" "$scratch/regimes.json" "$scratch/empty.json" --out "$scratch/svg" > "$scratch/plot.log"
grep -q "empty: no chunk_sweep table, no chunk-latency plot" "$scratch/plot.log"
"$PY" - "$scratch" <<'PY'
import glob, json, os, sys
import xml.etree.ElementTree as ET
scratch = sys.argv[1]
NS = "{http://www.w3.org/2000/svg}"
files = {os.path.basename(p): ET.parse(p).getroot() for p in glob.glob(f"{scratch}/svg/*.svg")}
assert all(root.tag == NS + "svg" for root in files.values()), files.keys()

def series(root):
    return {g.get("data-name") for g in root.iter(NS + "g") if g.get("class") == "series"}

def texts(root):
    return {t.text for t in root.iter(NS + "text")}

sweep = files["smoke_kernel_sweep_cpu__chunk_sweep__distnormal.svg"]
assert {"inkernel (static)", "launch (static)", "reset (static)", "single call"} <= series(sweep), series(sweep)
# One point per static chunk of the spec (32, 128, 512, 2048 for inkernel and launch).
inkernel = next(g for g in sweep.iter(NS + "g") if g.get("data-name") == "inkernel (static)")
assert len(list(inkernel.iter(NS + "circle"))) == 4

res = json.load(open(f"{scratch}/routed/results.json"))
matrix = next(t for t in res["tables"] if t["table"] == "routed_ablation.matrix")
rows = {r["cells"][[c["name"] for c in matrix["columns"]].index("row")] for r in matrix["rows"]}
ablation = files["smoke_routed_ablation_cpu__ablation.svg"]
bars = {r.get("data-row") for r in ablation.iter(NS + "rect") if r.get("class") == "bar"}
assert bars == rows, (bars, rows)
decisions = files["smoke_routed_ablation_cpu__decisions.svg"]
adaptive = {r.get("data-row") for r in decisions.iter(NS + "rect") if r.get("class") == "bar"}
assert "random_seed_0" in adaptive and "static_chunk_32" not in adaptive, adaptive
assert "sampled_hist_s8" in series(files["smoke_routed_ablation_cpu__entropy.svg"])

regimes = files["regimes__regimes__mixed_regime.static_sweep.svg"]
assert series(regimes) == {"short_chat", "tables_csv"}, series(regimes)
assert "Per-regime static sweep: regimes" in texts(regimes)
REGIMES = {"short_chat", "long_doc_qa", "code_repo", "logs_uuid", "tables_csv", "repetition_policy", "mixed_zh_en",
           "ocr_forms"}
for split in ("fit", "holdout"):
    sweep = files[f"smoke_mixed_regime_cpu__regimes__mixed_regime.chunk_sweep__{split}.svg"]
    assert series(sweep) == REGIMES, series(sweep)
scan = files["smoke_mixed_regime_cpu__feature_scan.svg"]
labels = {r.get("data-row") for r in scan.iter(NS + "rect") if r.get("class") == "bar"}
assert {f"{m} / {g}" for m in ("sampled_hist_s8", "token_hist_s8") for g in REGIMES} <= labels, labels
print(f"{len(files)} SVG files parse; series and bars present")
PY
