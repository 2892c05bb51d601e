#!/bin/bash
# `corey report --paper`: a run whose spec carries the paper's published values (PAPER.md §4.5) renders them
# beside corey's cells; a published row corey lacks shows "—" with the reason; malformed report: entries are
# spec errors with file:line.
set -euo pipefail
corey=$1 src=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"

cat > "$scratch/href.yaml" <<'YAML'
schema: corey.spec/1
name: report_paper_cli
experiment: costmodel
params:
  study: href-ablation
  latency_table: paper-rtx3070
report:
  - paper.tab_plain_template
  - table: paper.tab_href_ablation
    title: "H_ref ablation (test)"
    source: href_ablation
    key: [entropy_scenario, h_ref_label]
    paper:
      - {entropy_scenario: randn_w1, h_ref_label: "8.0", selected_chunk: 256, latency_ms: 1.1477}
      - {entropy_scenario: randn_w1, h_ref_label: "ln 256", selected_chunk: 512}
    notes:
      - {entropy_scenario: randn_w1, h_ref_label: "8.0", column: selected_chunk, note: "legacy H_ref"}
YAML
"$corey" costmodel "$scratch/href.yaml" --out "$scratch/run" --quiet
results="$scratch/run/results.json"

"$corey" report --paper "$results" > "$scratch/paper.md" 2> "$scratch/paper.err"
grep -q "report entry 'paper.tab_plain_template' has no published values" "$scratch/paper.err"
grep -qF "### H_ref ablation (test)" "$scratch/paper.md"
grep -qF "| entropy_scenario | h_ref_label | paper selected_chunk | corey selected_chunk | Δ selected_chunk | paper latency_ms | corey latency_ms | Δ latency_ms | corey/paper latency_ms | notes |" "$scratch/paper.md"
# PAPER.md §4.5: H = 4.604287 with H_ref = 8.0 picks 256, looked up at 1.1477 ms in the RTX 3070 sweep.
grep -qF "| randn_w1 | 8.0 | 256 | 256 | 0 | 1.1477 | 1.1477 | 0.0 | 1.0 | selected_chunk: legacy H_ref |" "$scratch/paper.md"
grep -qF "| randn_w1 | ln 256 | 512 | — |  |  | — |  |  | corey: no row of 'href_ablation' has entropy_scenario=randn_w1, h_ref_label=ln 256 |" "$scratch/paper.md"

"$corey" report --paper "$results" --format csv --table paper.tab_href_ablation > "$scratch/paper.csv" 2>/dev/null
head -1 "$scratch/paper.csv" | grep -q "^entropy_scenario,h_ref_label,paper selected_chunk,corey selected_chunk"
[ "$(wc -l < "$scratch/paper.csv")" -eq 3 ]

set +e
"$corey" report --paper "$results" --table paper.nope > /dev/null 2> "$scratch/nope.err"; rc=$?
set -e
[ "$rc" -eq 2 ]
grep -q "no report entry 'paper.nope'; there are: paper.tab_href_ablation" "$scratch/nope.err"

# The same results without published values in their spec: --spec supplies them.
grep -v "^report:" "$scratch/href.yaml" | sed '/^  - /,$d' > "$scratch/bare.yaml"
"$corey" costmodel "$scratch/bare.yaml" --out "$scratch/bare" --quiet
set +e
"$corey" report --paper "$scratch/bare/results.json" > /dev/null 2> "$scratch/bare.err"; rc=$?
set -e
[ "$rc" -eq 2 ]
grep -q "no report entry with published values" "$scratch/bare.err"
"$corey" report --paper "$scratch/bare/results.json" --spec "$scratch/href.yaml" 2>/dev/null | grep -qF "| randn_w1 | 8.0 | 256 | 256 |"

# tools/reproduce.sh runs a spec, renders both layouts, and skips a GPU-only spec on --cpu-only.
COREY="$corey" PYTHON="${COREY_PYTHON:-python3}" "$src/tools/reproduce.sh" --cpu-only --out "$scratch/repro" \
  "$scratch/href.yaml" "$src/experiments/paper/perturbation.yaml" > "$scratch/repro.log"
grep -qF "| randn_w1 | 8.0 | 256 | 256 | 0 | 1.1477 | 1.1477 |" "$scratch/repro/tables/href.paper.md"
grep -q "^### href_ablation" "$scratch/repro/tables/href.md"
grep -q "perturbation: skipped (GPU only)" "$scratch/repro.log"

# Malformed entries: each is a spec error (exit 2) naming the file, line and the entry.
expect_spec_error() {  # name, yaml body of the report list, expected line, message fragment
  printf 'schema: corey.spec/1\nname: bad\nexperiment: costmodel\nparams: {study: href-ablation}\nreport:\n%s\n' "$2" > "$scratch/$1.yaml"
  set +e
  "$corey" validate "$scratch/$1.yaml" > /dev/null 2> "$scratch/$1.err"; local rc=$?
  set -e
  [ "$rc" -eq 2 ] || { echo "$1: exit $rc"; cat "$scratch/$1.err"; exit 1; }
  grep -qF "$1.yaml:$3:" "$scratch/$1.err" || { echo "$1: no line $3"; cat "$scratch/$1.err"; exit 1; }
  grep -qF "$4" "$scratch/$1.err" || { echo "$1: no '$4'"; cat "$scratch/$1.err"; exit 1; }
}
expect_spec_error unknown_key '  - {table: t, sauce: rows}' 6 "unknown key 'sauce' in report[0]; did you mean 'source'?"
expect_spec_error no_source '  - table: t
    key: [row]
    paper: [{row: a, x: 1}]' 6 "report[0]: 'paper' and 'notes' need 'source'"
expect_spec_error missing_key_column '  - table: t
    source: rows
    key: [row, dtype]
    paper:
      - {row: a, x: 1}' 10 "report[0].paper[0]: missing key column 'dtype'"
expect_spec_error duplicate_row '  - table: t
    source: rows
    key: [row]
    paper:
      - {row: a, x: 1}
      - {row: a, x: 2}' 11 'another paper row has the same key ["a"]'
expect_spec_error note_without_text '  - table: t
    source: rows
    key: [row]
    notes:
      - {row: a, column: x}' 10 "report[0].notes[0]: missing 'note'"
expect_spec_error not_a_map '  - 42' 6 "report[0]: expected a template name or a map with 'table', found integer 42"
echo "report --paper: layout, missing cells, csv, --table, --spec, reproduce.sh and 6 malformed entries ok"
