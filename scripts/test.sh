#!/usr/bin/env bash
# Installs what is missing, builds forge with warnings as errors, and runs every test: the unit tests and
# the end-to-end suites against the real binary, then the same again under AddressSanitizer + UBSan, then
# the worker pool (process runners, scheduler, jobserver, the `forge run` suite) under ThreadSanitizer, then
# a short libFuzzer run of each parser of untrusted input.
# FORGE_TEST_ONLY=REGEX runs only the matching tests of the first stage and nothing after it (the quick-start
# check, tests/e2e/test_quickstart.py, runs this script so); FORGE_SKIP_SANITIZERS=1 / FORGE_SKIP_FUZZ=1 skip
# those stages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
bash scripts/test-deps.sh
jobs=$(nproc)
source scripts/ccache-env.sh

# Every setting that decides what is built and tested is given here: build/ may have been configured before
# (scripts/demo.sh does it without the tests), and CMake's cache would otherwise keep that. A run that finds
# no test fails (--no-tests=error) instead of passing with nothing tested.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFORGE_WERROR=ON -DFORGE_TESTS=ON \
  -DFORGE_SANITIZE=OFF -DFORGE_TSAN=OFF -DFORGE_FUZZ=OFF >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --no-tests=error ${FORGE_TEST_ONLY:+-R "$FORGE_TEST_ONLY"}
if [[ -n ${FORGE_TEST_ONLY:-} ]]; then
  exit 0
fi

if [[ ${FORGE_SKIP_SANITIZERS:-0} != 1 ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFORGE_SANITIZE=ON -DFORGE_TSAN=OFF \
    -DFORGE_FUZZ=OFF -DFORGE_TESTS=ON -DFORGE_WERROR=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" --no-tests=error -LE slow

  # ThreadSanitizer on the code with threads and signal handlers: only what those tests need is built.
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFORGE_TSAN=ON -DFORGE_SANITIZE=OFF \
    -DFORGE_FUZZ=OFF -DFORGE_TESTS=ON -DFORGE_WERROR=ON >/dev/null
  cmake --build build-tsan -j"$jobs" --target forge forge_unit_tests
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build-tsan --output-on-failure \
    -j"$jobs" --no-tests=error -R '^(RunProcessRunner|RunScheduler|RunJobserver|RunChildResult|SubprocessTest|SubprocessEnvironment)[.]|^e2e[.]test_run$'
fi

# libFuzzer targets for the parsers of untrusted input: saved regressions replayed, then a short run each.
if [[ ${FORGE_SKIP_FUZZ:-0} != 1 ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFORGE_TESTS=OFF \
    -DFORGE_FUZZ=ON -DFORGE_FUZZ_SECONDS="${FORGE_FUZZ_SECONDS:-15}" >/dev/null
  cmake --build build-fuzz -j"$jobs" --target forge_fuzz_all
  ctest --test-dir build-fuzz --output-on-failure -j"$jobs" --no-tests=error -L fuzz
fi
