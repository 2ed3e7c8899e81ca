#!/usr/bin/env bash
# Benchmark (not a test): `forge ingest` on a full-scale synthetic crates.io dump vs plain decompression.
#
# Generates the dump once with tests/fixtures/gen_dump.py and caches it under bench/.cache/ (gitignored;
# the cache key covers the generator's source and arguments). Then runs, alternating, RUNS times each:
#   forge ingest --dump FILE --out TMP -q      forge_ingest_floor FILE      gzip -dc FILE      igzip -dc FILE
# and prints the median wall times, forge/floor (the floor: forge's own inflate path up to the last table it
# needs, no parsing; build/bench/forge_ingest_floor), forge/gzip, forge/igzip, and forge's peak RSS.
#
# Environment: FORGE_BIN (default ./build/src/forge), FLOOR_BIN (default ./build/bench/forge_ingest_floor),
# RUNS (default 3), SCALE=full|deep|small (default full),
# SEED (default 1), COMPRESSLEVEL (default 6), DUMP=/path/to/db-dump.tar.gz (use that file, generate nothing).
#   full:  200,000 crates, 2,000,000 versions, 8,000,000 dependencies, 30,000,000 version_downloads,
#          READMEs ~3 KB (about 1 GB gzipped; generation takes a few minutes)
#   deep:  the second shape, so memory is not tuned to one generator: 50,000 crates with 40 versions each
#          (2,000,000 versions), 8,000,000 dependencies, 30,000,000 version_downloads
#   small: 5,000 crates, 25,000 versions, quick
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCALE=${SCALE:-full}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
LEVEL=${COMPRESSLEVEL:-6}
FORGE=${FORGE_BIN:-$ROOT/build/src/forge}
CACHE=$ROOT/bench/.cache
GEN=$ROOT/tests/fixtures/gen_dump.py

case "$SCALE" in
  full)  GEN_ARGS=(--crates 200000 --versions-per-crate 10 --deps-per-version 4 --version-downloads 30000000
                   --readme-bytes 3000) ;;
  deep)  GEN_ARGS=(--crates 50000 --versions-per-crate 40 --deps-per-version 4 --version-downloads 30000000
                   --readme-bytes 3000) ;;
  small) GEN_ARGS=(--crates 5000 --versions-per-crate 5 --deps-per-version 3 --version-downloads 300000
                   --readme-bytes 1500) ;;
  *) echo "bench: SCALE must be full, deep or small" >&2; exit 2 ;;
esac
GEN_ARGS+=(--seed "$SEED" --schema 2026 --compresslevel "$LEVEL")

[ -x "$FORGE" ] || { echo "bench: forge not found at $FORGE (set FORGE_BIN)" >&2; exit 2; }
mkdir -p "$CACHE"
KEY=$( { cat "$GEN"; echo "${GEN_ARGS[*]}"; } | sha256sum | cut -c1-12)
if [ -n "${DUMP:-}" ]; then
  [ -f "$DUMP" ] || { echo "bench: DUMP=$DUMP does not exist" >&2; exit 2; }
else
  DUMP=$CACHE/db-dump-$SCALE-$KEY.tar.gz
fi
if [ ! -f "$DUMP" ]; then
  rm -f "$CACHE"/db-dump-"$SCALE"-*.tar.gz
  echo "bench: generating $SCALE dump -> $DUMP"
  start=$(date +%s)
  python3 "$GEN" --out "$DUMP" "${GEN_ARGS[@]}" -v
  echo "bench: generated in $(( $(date +%s) - start ))s"
fi

FLOOR=${FLOOR_BIN:-$ROOT/build/bench/forge_ingest_floor}
exec python3 - "$FORGE" "$DUMP" "$RUNS" "$FLOOR" <<'PY'
import os, shutil, statistics, subprocess, sys, tempfile, time

forge, dump, runs, floor = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
size = os.path.getsize(dump)
print(f"dump: {dump} ({size / 1e6:.1f} MB gzipped)")
print(f"forge: {forge}")

def run(argv):
    """-> (seconds, peak RSS in KiB) of one child process; exits on failure."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed with exit {p.returncode}\n{err}")
    return dt, ru.ru_maxrss

tools = {}
out = tempfile.mkdtemp(prefix="forge-bench-")
tools["forge"] = [forge, "ingest", "--dump", dump, "--out", out, "-q"]
if os.access(floor, os.X_OK):
    tools["floor"] = [floor, dump]
else:
    print(f"{floor} not found (cmake --build build --target forge_ingest_floor): skipping the floor")
tools["gzip"] = ["gzip", "-dc", dump]
if shutil.which("igzip"):
    tools["igzip"] = ["igzip", "-dc", dump]
else:
    print("igzip not found (Debian package isal): skipping it")
times = {k: [] for k in tools}
rss = []
try:
    for i in range(runs):
        for name, argv in tools.items():
            dt, peak = run(argv)
            times[name].append(dt)
            if name == "forge":
                rss.append(peak)
            print(f"  run {i + 1}/{runs} {name:5s} {dt:8.2f}s" + (f"  peak RSS {peak / 1024:.0f} MiB" if name == "forge" else ""),
                  flush=True)
finally:
    shutil.rmtree(out, ignore_errors=True)
med = {k: statistics.median(v) for k, v in times.items()}
print()
for k, v in med.items():
    print(f"median {k:5s} {v:8.2f}s  ({size / 1e6 / v:7.1f} MB/s of gzipped input)")
if "floor" in med:
    print(f"forge/floor = {med['forge'] / med['floor']:.2f}  (target <= 1.1)")
print(f"forge/gzip  = {med['forge'] / med['gzip']:.2f}")
if "igzip" in med:
    print(f"forge/igzip = {med['forge'] / med['igzip']:.2f}")
print(f"forge peak RSS = {max(rss) / 1024:.0f} MiB")
PY
