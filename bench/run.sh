#!/usr/bin/env bash
# Benchmark (not a test): the `forge run` worker pool.
#
# 1. Scheduler overhead (always): N jobs whose "forge build" is a no-op script (bench/noop-build.sh writes a
#    result.json and exits; SLEEP=s makes each job sleep that long first), run by `forge run --jobs 2 --worker`
#    and, as the baseline, by `xargs -P 2` over the same script and arguments; alternating, RUNS times each.
#    Prints median wall times, the ratio, the scheduler's own cost per job ((forge - xargs) / N) and forge's
#    peak RSS.
# 2. Real builds (BUILDS=1): a queue of real and fixture crates (Debian's hexyl, tests/fixtures/crates/fx-*),
#    served offline by the tests' loopback registry, built by `forge run --jobs 2` vs a plain shell-style loop
#    that runs the same cargo commands (argv from forge's result.json, forge's RUSTFLAGS and profile variables,
#    cargo --jobs = all cores) one after another. Prints the median wall-time ratio and the CPU utilisation
#    (the machine's busy CPU time during each side, from /proc/stat, / (wall x cores): sandboxed builds' CPU
#    never reaches forge's rusage).
#
# Environment: FORGE_BIN (default ./build/src/forge), RUNS (default 3), N (default 300), SLEEP (default 0),
# BUILDS (default 0), CARGO_JOBS (passed as forge run --cargo-jobs in the builds part; default: none, every
# job's cargo shares forge run's jobserver), FIXED_SHARE=1 (also time forge run with the fixed cargo --jobs
# share each job got before the jobserver, in the same rounds).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FORGE=${FORGE_BIN:-$ROOT/build/src/forge}
[ -x "$FORGE" ] || { echo "bench: forge not found at $FORGE (set FORGE_BIN)" >&2; exit 2; }
exec python3 "$ROOT/bench/run_bench.py" "$FORGE" "${RUNS:-3}" "${N:-300}" "${SLEEP:-0}" "${BUILDS:-0}"
