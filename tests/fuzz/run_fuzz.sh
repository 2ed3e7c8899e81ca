#!/usr/bin/env bash
# Runs one fuzz target: first every saved regression input once (crashes found earlier stay fixed), then
# SECONDS of fuzzing from a scratch copy of the seed corpus (the repository is never written to).
# Usage: run_fuzz.sh FUZZER SOURCE_DIR NAME SECONDS
set -euo pipefail
fuzzer=$1 dir=$2 name=$3 seconds=$4
regressions=$dir/regressions/$name
if compgen -G "$regressions/*" >/dev/null; then
  "$fuzzer" -runs=1 "$regressions"/*
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
if compgen -G "$dir/corpus/$name/*" >/dev/null; then
  cp "$dir/corpus/$name"/* "$work/corpus/"
fi
dict=()
if [[ -f $dir/$name.dict ]]; then
  dict=(-dict="$dir/$name.dict")
fi
if ! "$fuzzer" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus"; then
  echo "fuzz.$name: crash; reproducer(s):" >&2
  for f in "$work"/artifacts/*; do
    echo "--- $f" >&2
    base64 "$f" >&2
  done
  exit 1
fi
