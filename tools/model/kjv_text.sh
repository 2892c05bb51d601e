#!/usr/bin/env bash
# Writes the King James Bible (public domain) as plain UTF-8 text, one verse per line without references,
# from Debian's `bible-kjv` package: the training text of the tiny byte-level Mamba
# (tools/model/train_tiny_byte_mamba.py). The GPU machine has no network and no Debian packages, so this runs
# here and the text travels with the device call.
#
#   tools/model/kjv_text.sh OUT.txt
set -euo pipefail
out=${1:?usage: kjv_text.sh OUT.txt}
if ! command -v bible > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q bible-kjv > /dev/null
fi
# -f turns the pretty-printer off, so each verse is one line "Book C:V text"; strip the reference.
bible -f "Gen1:1-Rev22:21" | sed -E 's/^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ //' > "$out.tmp"
lines=$(wc -l < "$out.tmp")
if [ "$lines" -ne 31102 ]; then
  echo "kjv_text.sh: expected the 31102 verses of the KJV, got $lines" >&2
  exit 1
fi
mv "$out.tmp" "$out"
