#!/bin/bash
# The CPU checkpoint-baselines smoke spec (PAPER.md §7, recipe row 16: study quality with metrics_only):
# every task of every point present with its own max_new_tokens; the §7.1 templates checked through the byte
# tokenizer's prompt lengths (right and middle truncation); on the synthetic checkpoint the task metrics are
# null with the not-applicable reason while latency, tokens/s and perplexity are measured; on the trained
# tiny_byte_kjv they are real numbers in [0, 1] equal to tools/routed_reference.py's metrics of the decoded
# texts. metrics_only with rows, or outside study quality, is a spec error at its position; the paper spec
# plans on the CPU and its points are skipped there with the CUDA-scan reason.
set -euo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}
rm -rf "$scratch" && mkdir -p "$scratch"
export COREY_SHARED_DIR="$src/../shared"
[ -d "$COREY_SHARED_DIR/data/longbench" ] || { echo "no shared LongBench data at $COREY_SHARED_DIR"; exit 77; }
spec="$src/experiments/smoke/checkpoint_baselines_cpu.yaml"
start=$(date +%s)
"$corey" routed-ablation "$spec" --backend cpu --out "$scratch/run" --format md --quiet
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -lt 60 ] || { echo "smoke run took ${elapsed}s (limit 60 s)"; exit 1; }
"$PY" - "$scratch/run/results.json" "$src/tools" <<'PY'
import json, math, sys
sys.path.insert(0, sys.argv[2])
import routed_reference as ref

TEMPLATES = {  # PAPER.md §7.1
    "narrativeqa": ("Context:\n{context}\n\nQuestion: {input}\nAnswer:", "token_f1", 128),
    "qasper": ("Document:\n{context}\n\nQuestion: {input}\nAnswer:", "token_f1", 96),
    "multifieldqa_en": ("Document:\n{context}\n\nQuestion: {input}\nShort answer:", "exact_match", 64),
    "gov_report": ("Report:\n{context}\n\nWrite a concise summary:\n", "rouge_l", 256),
}
METRIC = {"token_f1": ref.token_f1, "rouge_l": ref.rouge_l, "exact_match": ref.exact_match}

def record_at(source):
    path, line = source.rsplit(":", 1)
    text = open(path, "rb").read().decode("utf-8").splitlines()[int(line) - 1].lstrip("\ufeff")
    return json.loads(text)

res = json.load(open(sys.argv[1]))
assert res["run"]["status"] == "complete", res["run"]["status"]
results = res["results"]
assert [r["status"] for r in results] == ["ok"] * 4, [(r["status"], r["reason"]) for r in results]
seen = set()
for r in results:
    synthetic = r["params"]["model"]["checkpoint"].startswith("synthetic:")
    truncation = r["params"]["prompt"]["truncation"]
    budget = r["params"]["prompt"]["max_tokens"]
    m = r["metrics"]
    seen.add((synthetic, truncation))
    assert m["truncation"] == truncation and m["rows"] == [] and m["warmup_generates"] == 1, m["truncation"]
    assert r["faithful_to_paper"] == (truncation == "right") and ("F13" in r["inherits_flaws"]) == (truncation == "right")
    assert [t["task"] for t in m["passive"]] == list(TEMPLATES), m["passive"]
    for t in m["passive"]:
        template, metric, new_tokens = TEMPLATES[t["task"]]
        assert t["metric"] == metric and t["new_tokens"] == new_tokens and t["prompts"] == 2, t
        assert t["latency_ms"] > 0 and t["tokens_per_s"] > 0 and t["ttft_ms"] > 0, t
        assert math.isfinite(t["ppl_mean"]) and t["ppl_mean"] > 1 and t["ref_tokens_scored"] > 0, t
        if synthetic:
            assert t["score"] is None and t["score_note"].startswith("not applicable: synthetic checkpoint"), t
        else:
            assert t["score_note"] is None and 0.0 <= t["score"] <= 1.0, t
    scores = {}
    for p in m["prompts"]:
        template, metric, new_tokens = TEMPLATES[p["task"]]
        rec = record_at(p["source"])
        context = rec["context"] if isinstance(rec["context"], str) else "\n".join(rec["context"])
        prompt_bytes = len(template.replace("{context}", context).replace("{input}", rec.get("input", "")).encode())
        assert p["original_tokens"] == prompt_bytes and p["prompt_tokens"] == min(prompt_bytes, budget), (p["source"], prompt_bytes)
        assert p["new_tokens"] == new_tokens and p["passive"]["generated_tokens"] == new_tokens, p
        assert p["passive"]["latency_ms"] > 0 and p["passive"]["tokens_per_s"] > 0
        if synthetic:
            assert p["passive"]["score"] is None
            continue
        text = p["passive"]["text"]
        assert text.isascii(), text  # the KJV model writes ASCII, so the stored text is the decoded one
        expected = METRIC[metric](text, rec["answers"][0])
        assert abs(p["passive"]["score"] - expected) <= 1e-12, (p["source"], p["passive"]["score"], expected)
        scores.setdefault(p["task"], []).append(expected)
    if not synthetic:
        for t in m["passive"]:
            assert abs(t["score"] - sum(scores[t["task"]]) / 2) <= 1e-12, t
assert seen == {(s, t) for s in (True, False) for t in ("right", "middle")}, seen
tables = {t["table"]: t for t in res["tables"]}
b = tables["routed_ablation.baselines"]
cols = [c["name"] for c in b["columns"]]
assert len(b["rows"]) == 16, len(b["rows"])
for row in b["rows"]:
    cells = dict(zip(cols, row["cells"]))
    synthetic = cells["checkpoint"].startswith("synthetic:")
    assert (cells["score"] is None) == synthetic and (cells["score_note"] is not None) == synthetic, cells
print(f"{len(results)} points x {len(TEMPLATES)} tasks; kjv scores checked against tools/routed_reference.py")
PY
[ -s "$scratch/run/tables/routed_ablation.baselines.md" ]

# metrics_only refuses rows (at the rows line) and any study but quality.
sed -e 's#\.\./\.\./tests/#'"$src"'/tests/#g' -e 's/^  metrics_only: true$/  metrics_only: true\n  rows: [hist]/' "$spec" > "$scratch/rows.yaml"
line=$(grep -n "^  rows: \[hist\]" "$scratch/rows.yaml" | cut -d: -f1)
if "$corey" validate "$scratch/rows.yaml" > /dev/null 2> "$scratch/rows.err"; then echo "rows with metrics_only accepted"; exit 1; fi
grep -qF "rows.yaml:$line:9: rows: metrics_only runs the passive pass only" "$scratch/rows.err" || { cat "$scratch/rows.err"; exit 1; }
if "$corey" validate "$spec" --set params.study=matrix > /dev/null 2> "$scratch/study.err"; then echo "metrics_only in a matrix study accepted"; exit 1; fi
grep -qF "metrics_only: belongs to study quality, not matrix" "$scratch/study.err" || { cat "$scratch/study.err"; exit 1; }

# The paper spec: two points (right and middle truncation), skipped on the CPU backend with the reason.
paper="$src/experiments/paper/checkpoint_baselines.yaml"
"$corey" validate "$paper" > /dev/null
"$corey" routed-ablation "$paper" --backend cpu --out "$scratch/paper" --quiet
"$PY" - "$scratch/paper/results.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))
rs = res["results"]
assert [r["params"]["prompt"]["truncation"] for r in rs] == ["right", "middle"], rs
assert all(r["status"] == "skipped" and "CUDA scan" in r["reason"] for r in rs), [(r["status"], r["reason"]) for r in rs]
assert all(r["params"]["metrics_only"] and r["params"]["samples_per_task"] == 20 for r in rs)
PY
