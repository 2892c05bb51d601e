#!/bin/bash
# `corey --help` lists the four tiers and the utilities with the exit codes; --version names the git sha.
set -euo pipefail
corey=$1
help=$("$corey" --help)
for word in costmodel kernel-sweep routed-ablation mixed-regime validate plan report merge env analyze "Exit codes"; do
  grep -q -- "$word" <<<"$help" || { echo "--help lacks '$word'"; exit 1; }
done
version=$("$corey" --version)
grep -Eq '^corey [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]{7,}|unknown' <<<"$version" || { echo "bad --version: $version"; exit 1; }
set +e
"$corey" no-such-command >/dev/null 2>&1
code=$?
set -e
[ "$code" = 2 ] || { echo "unknown subcommand exited $code, expected 2"; exit 1; }
echo "help/version ok"
