#!/bin/bash
# `corey analyze` prints every estimator with units and each rule's chunk; bad files are clear errors.
set -uo pipefail
corey=$1 src=$2 scratch=$3
PY=${COREY_PYTHON:-python3}  # needs numpy for some checks; CTest passes the one it found
data="$src/tests/data/analyze"
out=$("$corey" analyze "$data/u_f32.npy") || { echo "analyze failed on a good file"; exit 1; }
"$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); s=json.dumps(j); assert "nats" in s and "bits" in s and "chunk" in s, s' "$out" || exit 1
expect() {
  local want=$1; shift
  msg=$("$corey" analyze "$@" 2>&1); code=$?
  [ "$code" = "$want" ] || { echo "analyze $*: exit $code, expected $want: $msg"; exit 1; }
  grep -q "$(basename "$1")" <<<"$msg" || { echo "analyze $*: message does not name the file: $msg"; exit 1; }
}
expect 2 "$data/truncated.npy"
expect 2 "$data/nan.npy"
expect 3 "$data/does_not_exist.npy"
echo "analyze ok"
