#!/usr/bin/env bash
# Benchmark (not a test): forge's overhead on a real build. `forge build hexyl@0.8.0` (Debian's copy of the real
# crate, served as a .crate through a file:// URL with its checksum in a queue) against the very cargo command
# forge runs, started directly in an unpacked copy with the same environment. The argv and environment are
# taken from forge's own build.log (its "forge: attempt" and "forge: env:" lines), so both sides always run
# the same thing. Warm caches (one untimed run of each first), a fresh target directory for every run on both
# sides, alternating, RUNS runs each; prints the median wall times, the median ratio forge/cargo (target
# <= 1.03), forge's wall time over the time its own cargo child ran (from build.log: forge's own overhead,
# which machine load hardly moves, unlike the A/B ratio) and forge's own peak RSS (VmHWM of the forge
# process, sampled every 20 ms; cargo and rustc are children with their own memory).
#
# Needs: librust-hexyl-dev (scripts/test-deps.sh) and rustup's stable toolchain (or CARGO=/usr/bin/cargo
# TOOLCHAIN= for Debian's). Environment: FORGE_BIN (default ./build/src/forge), RUNS (default 5),
# TARGET (default x86_64-unknown-linux-gnu), CARGO, TOOLCHAIN (default stable), JOBS (default: nproc + 1),
# SANDBOX (forge's --sandbox, default auto: bwrap when it works). With bwrap, "its cargo child" is bwrap with
# cargo inside (the sandbox's start-up included), and the host-side `cargo fetch` is reported separately.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FORGE=${FORGE_BIN:-$ROOT/build/src/forge}
[ -x "$FORGE" ] || { echo "bench: forge not found at $FORGE (set FORGE_BIN)" >&2; exit 2; }
[ -f /usr/share/cargo/registry/hexyl-0.8.0/Cargo.toml ] ||
  { echo "bench: hexyl sources missing: apt-get install librust-hexyl-dev" >&2; exit 2; }

exec python3 - "$ROOT" "$FORGE" <<'PY'
import json, os, shlex, shutil, statistics, subprocess, sys, tarfile, tempfile, time
from pathlib import Path

root, forge = Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, str(root / "tests" / "e2e"))
import buildenv  # noqa: E402  (make_crate_file, cargo_home, find_cargo, build_env)

runs = int(os.environ.get("RUNS", "5"))
target = os.environ.get("TARGET", "x86_64-unknown-linux-gnu")
toolchain = os.environ.get("TOOLCHAIN", "stable")
cargo = os.environ.get("CARGO") or buildenv.find_cargo()
jobs = os.environ.get("JOBS", str((os.cpu_count() or 1) + 1))
sandbox = os.environ.get("SANDBOX", "auto")
if not cargo:
    sys.exit("bench: no cargo found (set CARGO)")

work = Path(tempfile.mkdtemp(prefix="forge-bench-build-"))
try:
    crate = buildenv.make_crate_file(buildenv.HEXYL_SRC, "hexyl", "0.8.0", work / "crates")
    queue = buildenv.write_queue(work / "queue.json", [{"name": "hexyl", "version": "0.8.0",
                                                         "checksum": buildenv.sha256(crate)}])
    env = dict(os.environ, NO_COLOR="1", **buildenv.build_env(work, buildenv.cargo_home(work)))
    forge_argv = [forge, "-q", "build", "hexyl", "--queue", str(queue), "--crate-url",
                  f"file://{work}/crates/{{crate}}-{{version}}.crate", "--target", target, "--builder", "cargo",
                  "--cargo", cargo, "--toolchain", toolchain, "--jobs", jobs, "--offline", "--features", "default",
                  "--build-dir", str(work / "forge-builds"), "--sandbox", sandbox]

    def timed(argv, cwd=None, extra_env=None):
        """-> (wall seconds, peak VmHWM of that process in KiB); exits on failure."""
        e = dict(env, **(extra_env or {}))
        errfile = tempfile.TemporaryFile()  # not a pipe: cargo --verbose would fill it and block
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=cwd, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=errfile)
        hwm = 0
        cpu = 0.0  # the process's own user+system time (not its children's), last seen
        tick = os.sysconf("SC_CLK_TCK")
        while p.poll() is None:
            try:
                for line in open(f"/proc/{p.pid}/status"):
                    if line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
                fields = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / tick
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(0.02)
        timed.cpu = cpu
        dt = time.perf_counter() - t0
        errfile.seek(0)
        err = errfile.read().decode(errors="replace")
        if p.returncode != 0:
            sys.exit(f"bench: {shlex.join(argv)} failed with exit {p.returncode}\n{err[-3000:]}")
        return dt, hwm

    cpus = []
    fetches = []

    def forge_run(n):
        """-> (wall s, peak RSS KiB, out dir, seconds forge's cargo child ran as forge measured it)."""
        out = work / f"out-{n}"
        dt, hwm = timed(forge_argv + ["--out", str(out)])
        cpus.append(timed.cpu)
        result_dir = out / buildenv.HOST_OF.get(target, "x86_64-Linux") / "hexyl" / "0.8.0"
        res = json.loads((result_dir / "result.json").read_text())
        if res["status"] != "built":
            sys.exit(f"bench: forge did not build hexyl: {res['reason']} {res['details']}")
        child = None
        for line in (result_dir / "build.log").read_text().splitlines():
            if line.startswith("forge: attempt 1 finished in "):
                child = float(line.split()[5])
            elif line.startswith("forge: fetch 1 finished in "):
                fetches.append(float(line.split()[5]))
        forge_run.sandbox = res["sandbox"]
        return dt, hwm, out, child

    # Warm-up forge run: also tells the exact cargo argv and environment forge uses.
    _, _, out0, _ = forge_run(0)
    log = (out0 / buildenv.HOST_OF.get(target, "x86_64-Linux") / "hexyl" / "0.8.0" / "build.log").read_text()
    cargo_argv, cargo_env, unset, fetch_argv = None, {}, [], None
    for line in log.splitlines():
        if line.startswith("forge: fetch ") and ": " in line and " finished in " not in line:
            fetch_argv = shlex.split(line.split(": ", 2)[2])
        elif line.startswith("forge: attempt 1: "):
            cargo_argv = shlex.split(line[len("forge: attempt 1: "):])
        elif line.startswith("forge: env: unset "):
            unset.append(line.split()[-1])
        elif line.startswith("forge: env: "):
            k, v = line[len("forge: env: "):].split("=", 1)
            cargo_env[k] = v
    if not cargo_argv:
        sys.exit("bench: no 'forge: attempt 1:' line in build.log")
    for k in unset:
        env.pop(k, None)
    src = work / "direct-src"
    with tarfile.open(crate) as tar:
        tar.extractall(src)
    crate_dir = src / "hexyl-0.8.0"
    if fetch_argv:  # the Cargo.lock forge's fetch phase wrote, which the build's --locked needs (untimed)
        subprocess.run(fetch_argv, cwd=crate_dir, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def cargo_run(n):
        tdir = work / f"direct-target-{n}"
        dt, _ = timed(cargo_argv, cwd=crate_dir, extra_env=dict(cargo_env, CARGO_TARGET_DIR=str(tdir)))
        shutil.rmtree(tdir, ignore_errors=True)
        return dt

    print(f"cargo command (from forge's build.log): {shlex.join(cargo_argv)}")
    print("environment: " + " ".join(f"{k}={shlex.quote(v)}" for k, v in cargo_env.items() if k != "CARGO_TARGET_DIR"))
    cargo_run(0)  # warm-up
    f_times, c_times, ratios, hwms, own = [], [], [], [], []
    for i in range(1, runs + 1):
        # Alternate which side goes first so a drifting machine load favours neither.
        if i % 2:
            fdt, hwm, out, child = forge_run(i)
            cdt = cargo_run(i)
        else:
            cdt = cargo_run(i)
            fdt, hwm, out, child = forge_run(i)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(work / "forge-builds", ignore_errors=True)
        f_times.append(fdt)
        c_times.append(cdt)
        ratios.append(fdt / cdt)
        hwms.append(hwm)
        # forge's own share of its wall time: everything but the cargo child it ran (fetch, verify, unpack,
        # ELF checks, hashes, metadata, process start-up). Unlike the A/B ratio, machine load hardly moves it.
        if child:
            own.append(fdt / child)
        print(f"run {i}: forge {fdt:6.2f} s   cargo {cdt:6.2f} s   ratio {fdt / cdt:.3f}   "
              f"forge wall / its cargo child {fdt / child if child else float('nan'):.3f}   "
              f"forge peak RSS {hwm / 1024:.1f} MiB", flush=True)
    print(f"\nmedian wall: forge {statistics.median(f_times):.2f} s, cargo {statistics.median(c_times):.2f} s")
    print(f"median ratio forge/cargo: {statistics.median(ratios):.3f} (target <= 1.03); "
          f"ratio of medians {statistics.median(f_times) / statistics.median(c_times):.3f}")
    if own:
        print(f"median forge wall / its own cargo child: {statistics.median(own):.3f} "
              f"(child time from build.log)")
    print(f"sandbox: {forge_run.sandbox}; host-side cargo fetch: median {statistics.median(fetches):.2f} s")
    print(f"forge peak RSS: {max(hwms) / 1024:.1f} MiB; forge's own CPU time (user+sys, not its children's): "
          f"median {statistics.median(cpus[1:]):.2f} s")
finally:
    shutil.rmtree(work, ignore_errors=True)
PY
