#!/bin/bash
# Every spec in tests/data/bad_specs/ is rejected by `corey validate` and by the experiment subcommand with
# exit code 2 and a message that names file:line:column, and nothing is written.
set -uo pipefail
corey=$1 src=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"
failures=0 checked=0
for spec in "$src"/tests/data/bad_specs/*.yaml; do
  name=$(basename "$spec")
  [ "$name" = extends_cycle_b.yaml ] && continue  # the other half of the cycle
  for cmd in validate costmodel; do
    out="$scratch/out_${name%.yaml}_$cmd"
    if [ "$cmd" = validate ]; then
      msg=$("$corey" validate "$spec" 2>&1); code=$?
    else
      msg=$("$corey" costmodel "$spec" --out "$out" 2>&1); code=$?
    fi
    if [ "$code" != 2 ]; then echo "FAIL $name ($cmd): exit $code, expected 2: $msg"; failures=$((failures+1)); continue; fi
    if ! grep -Eq "$(basename "$spec" .yaml)[a-z_]*\.yaml:[0-9]+:[0-9]+" <<<"$msg" && ! grep -Eq "\.yaml:[0-9]+:[0-9]+" <<<"$msg"; then
      echo "FAIL $name ($cmd): no file:line:column in: $msg"; failures=$((failures+1)); continue
    fi
    if [ -e "$out" ]; then echo "FAIL $name ($cmd): created $out"; failures=$((failures+1)); continue; fi
    checked=$((checked+1))
  done
done
[ "$checked" -ge 14 ] || { echo "only $checked checks ran"; exit 1; }
[ "$failures" = 0 ] || exit 1
echo "$checked bad-spec checks ok"
