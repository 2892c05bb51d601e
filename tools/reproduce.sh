#!/bin/bash
# Reproduces the paper from the shell: runs every spec of experiments/paper with its subcommand, renders each
# run's tables in the paper's layout (`corey report --paper`, published values beside ours) and as plain
# tables, and plots everything (tools/plot_results.py).
#
# Usage: tools/reproduce.sh [--cpu-only] [--out DIR] [SPEC...]
#   COREY=path/to/corey   the binary (default build/cpu/corey, relative to the repository)
#   PYTHON=python3        the interpreter for the plots (default /usr/bin/python3 when present)
#   --cpu-only            never use a GPU, even when `corey env` reports one
#   --out DIR             where runs/, tables/ and plots/ go (default reproduce/)
#   SPEC...               only these specs (default: every experiments/paper/*.yaml)
# Running again into the same --out resumes each run (finished points are kept); use a new --out to measure
# afresh.
#
# Without a GPU (or with --cpu-only) the GPU-only specs — those whose scan is the CUDA kernel (`impl: seq` or
# `impl: blockscan`) — are skipped with a message. Exit status: 0 when every run finished with all points ok,
# 1 when some run failed or had failed points (the rest still ran; see the summary).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corey=${COREY:-build/cpu/corey}
[[ $corey == /* ]] || corey=$root/$corey
if [[ -z ${PYTHON:-} ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
out=reproduce
cpu_only=0
specs=()
while (($#)); do
  case $1 in
    --cpu-only) cpu_only=1 ;;
    --out) out=${2:?--out needs a folder}; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "reproduce.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) specs+=("$1") ;;
  esac
  shift
done
((${#specs[@]})) || specs=("$root"/experiments/paper/*.yaml)

if [[ ! -x $corey ]]; then
  echo "reproduce.sh: no corey binary at $corey (build it, or set COREY=path/to/corey)" >&2
  exit 2
fi

gpus=0
if ((!cpu_only)); then
  gpus=$("$corey" env | "$PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin).get("devices") or []))') ||
    gpus=0
fi
# Without a GPU in use every run is told so; otherwise `auto` would still pick CUDA on a GPU host.
backend=()
((gpus == 0)) && backend=(--backend cpu)
echo "corey: $corey; GPUs: $gpus$( ((cpu_only)) && echo ' (--cpu-only)')"
mkdir -p "$out/runs" "$out/tables" "$out/plots"

summary=()
status=0
results=()
for spec in "${specs[@]}"; do
  name=$(basename "$spec" .yaml)
  experiment=$(sed -n 's/^experiment:[[:space:]]*\([a-z-]*\).*/\1/p' "$spec" | head -1)
  if [[ -z $experiment ]]; then
    summary+=("$name: skipped (no experiment: key)")
    continue
  fi
  if ((gpus == 0)) && grep -Eq 'impl:[[:space:]]*(seq|blockscan)' "$spec"; then
    echo "== $name: skipped, needs the CUDA kernel and no GPU is in use"
    summary+=("$name: skipped (GPU only)")
    continue
  fi
  echo "== $name: corey $experiment"
  run_dir=$out/runs/$name
  resume=()
  [[ -f $run_dir/results.jsonl ]] && resume=(--resume)
  # The stream is what --resume needs; an older results.json must not pass for this run's if it fails early.
  rm -f "$run_dir/results.json"
  "$corey" "$experiment" "$spec" --out "$run_dir" --quiet "${resume[@]}" "${backend[@]}"
  rc=$?
  if [[ ! -f $run_dir/results.json ]]; then
    summary+=("$name: failed (exit $rc, no results)")
    status=1
    continue
  fi
  ((rc == 0)) || status=1
  results+=("$run_dir/results.json")
  "$corey" report "$run_dir/results.json" > "$out/tables/$name.md"
  paper=$out/tables/$name.paper
  if "$corey" report --paper "$run_dir/results.json" > "$paper.md" 2> "$paper.err"; then
    rm -f "$paper.err"
    summary+=("$name: exit $rc; tables/$name.md, tables/$name.paper.md")
  else
    summary+=("$name: exit $rc; tables/$name.md (no paper layout: $(tail -1 "$paper.err"))")
    rm -f "$paper.md" "$paper.err"
  fi
done

if ((${#results[@]})); then
  "$PYTHON" "$root/tools/plot_results.py" "${results[@]}" --out "$out/plots" || status=1
fi

echo
echo "summary ($out):"
printf '  %s\n' "${summary[@]}"
exit $status
