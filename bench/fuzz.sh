#!/usr/bin/env bash
# Long fuzzing runs (not a test): builds the libFuzzer targets with clang + ASan/UBSan into build-fuzz/ and
# fuzzes each for SECONDS (default 600) with a persistent corpus under bench/.cache/fuzz/<name>, so runs
# accumulate coverage. A crash stops that target and leaves its reproducer in bench/.cache/fuzz/artifacts/;
# copy it into tests/fuzz/regressions/<name>/ with the fix so the test suite replays it forever.
# Environment: SECONDS_PER_TARGET (default 600), TARGETS (default: all), JOBS (parallel fuzz jobs, default 1).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECS=${SECONDS_PER_TARGET:-600}
JOBS=${JOBS:-1}
TARGETS=${TARGETS:-"csv pg_types index queue unpack journal crates_built metadata child_result run_info"}
CXX=${CXX:-clang++-14} CC=${CC:-clang-14} cmake -S "$ROOT" -B "$ROOT/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DFORGE_TESTS=OFF -DFORGE_FUZZ=ON >/dev/null
cmake --build "$ROOT/build-fuzz" -j"$(nproc)" --target forge_fuzz_all >/dev/null
CACHE=$ROOT/bench/.cache/fuzz
mkdir -p "$CACHE/artifacts"
status=0
cd "$CACHE" # libFuzzer writes fuzz-<n>.log files into the working directory
for t in $TARGETS; do
  corpus=$CACHE/$t
  mkdir -p "$corpus"
  cp -n "$ROOT/tests/fuzz/corpus/$t"/* "$corpus/" 2>/dev/null || true
  dict=()
  [[ -f $ROOT/tests/fuzz/$t.dict ]] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
  echo "== fuzz_$t for ${SECS}s (corpus $(ls "$corpus" | wc -l) inputs)"
  if ! "$ROOT/build-fuzz/tests/fuzz/fuzz_$t" "${dict[@]}" -max_total_time="$SECS" -jobs="$JOBS" -workers="$JOBS" \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$CACHE/artifacts/$t-" "$corpus" \
      2>&1 | tail -n 12; then
    status=1
  fi
done
ls -l "$CACHE/artifacts"
exit $status
