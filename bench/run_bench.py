"""Why: the numbers behind README's `forge run` performance section; see bench/run.sh for what is measured."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
forge, runs, n, sleep, builds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
TARGET = "x86_64-unknown-linux-gnu"
CORES = os.cpu_count() or 1


def busy_seconds():
    """CPU time the whole machine has spent busy (all cores, /proc/stat). Builds inside bwrap run in their own
    pid namespace, whose processes are reaped there: their CPU never reaches forge's rusage, so the
    utilisation of both sides is measured machine-wide instead (other load on the machine counts too)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(argv, env=None, cwd=None):
    """-> (wall seconds, peak RSS KiB, machine-wide busy CPU seconds during it) of one command."""
    busy0 = busy_seconds()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         env=env, cwd=cwd)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bench: {' '.join(map(str, argv))} failed with exit {code}\n{err[-3000:]}")
    return wall, ru.ru_maxrss, busy_seconds() - busy0


def write_queue(path, crates):
    rows = [{"rank": i + 1, "name": name, "version": version, "checksum": cksum, "bin_names": [name]}
            for i, (name, version, cksum) in enumerate(crates)]
    Path(path).write_text(json.dumps({"format": "forge-queue/1", "generated_at": "2025-01-01T00:00:00Z",
                                      "since": "2025-01-01", "crates": rows}))


def pool_overhead():
    tmp = Path(tempfile.mkdtemp(prefix="forge-bench-run-"))
    worker = ROOT / "bench" / "noop-build.sh"
    queue = tmp / "queue.json"
    write_queue(queue, [(f"job{i:05d}", "1.0.0", "0" * 64) for i in range(n)])
    env = dict(os.environ, BENCH_SLEEP=sleep)
    jobs_file = tmp / "jobs.txt"
    jobs_file.write_text("".join(f"job{i:05d}@1.0.0\n" for i in range(n)))
    print(f"pool: {n} no-op jobs (sleep {sleep} s each), 2 at a time, {runs} runs each, alternating")
    times = {"forge run": [], "xargs -P 2": []}
    rss = []
    try:
        for r in range(runs):
            out = tmp / f"forge-{r}"
            wall, peak, _ = measure([forge, "-q", "run", "--queue", queue, "--out", out, "--jobs", "2", "--worker",
                                     worker, "--target", TARGET, "--min-free", "0"], env=env)
            times["forge run"].append(wall)
            rss.append(peak)
            out = tmp / f"xargs-{r}"
            wall, _, _ = measure(["xargs", "-P", "2", "-a", str(jobs_file), "-I", "{}", str(worker), "build", "{}",
                                  "--target", TARGET, "--queue", str(queue), "--out", str(out), "--jobs", "1"],
                                 env=env)
            times["xargs -P 2"].append(wall)
            for side in (f"forge-{r}", f"xargs-{r}"):
                done = len(list((tmp / side).rglob("result.json")))
                if done != n:
                    sys.exit(f"bench: {side} wrote {done} result.json files, expected {n}")
            print(f"  run {r + 1}/{runs}: forge run {times['forge run'][-1]:6.2f}s  xargs {wall:6.2f}s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    ratios = [f / x for f, x in zip(times["forge run"], times["xargs -P 2"])]
    print(f"median forge run {med['forge run']:.2f}s, xargs -P 2 {med['xargs -P 2']:.2f}s, "
          f"median per-run ratio {statistics.median(ratios):.2f}")
    print(f"scheduler overhead per job: {(med['forge run'] - med['xargs -P 2']) / n * 1000:.1f} ms "
          f"(forge total {med['forge run'] / n * 1000:.1f} ms per job)")
    print(f"forge peak RSS: {max(rss) / 1024:.1f} MiB")


# Forge's build environment (src/compile/builder.cpp make_invocation / rustflags_for, glibc host target).
RUSTFLAGS = ("-C target-feature=+crt-static -C prefer-dynamic=no -C embed-bitcode=yes -C lto=yes -C opt-level=3 "
             "-C debuginfo=none -C strip=symbols -C link-arg=-Wl,-S -C link-arg=-Wl,--build-id=none "
             "-C link-arg=-Wl,--discard-all -C link-arg=-Wl,--strip-all")
PROFILE_ENV = {"RUSTFLAGS": RUSTFLAGS, "CARGO_PROFILE_RELEASE_LTO": "true", "CARGO_PROFILE_RELEASE_OPT_LEVEL": "3",
               "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "1", "CARGO_PROFILE_RELEASE_STRIP": "symbols",
               "CARGO_PROFILE_RELEASE_DEBUG": "false", "OPENSSL_STATIC": "1", "RUST_MIN_STACK": "33554432",
               "CARGO_TERM_COLOR": "never"}


def real_builds():
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    import buildenv  # noqa: E402  (the tests' offline registry)
    tmp = Path(tempfile.mkdtemp(prefix="forge-bench-builds-"))
    reg = buildenv.Registry(tmp)
    crates = []
    if (buildenv.HEXYL_SRC / "Cargo.toml").exists():
        crates.append(("hexyl", "0.8.0", reg.add("hexyl", "0.8.0", buildenv.HEXYL_SRC)))
    for name in ("fx-ok", "fx-gate", "fx-compile-error", "fx-missing-lib", "fx-link-error", "fx-build-script-panic"):
        crates.append((name, "0.1.0", reg.add_fixture(name, "0.1.0")))
    queue = tmp / "queue.json"
    write_queue(queue, crates)
    env = dict(os.environ)
    env.update(buildenv.build_env(tmp, buildenv.cargo_home(tmp)))
    build_args = ["--builder", "cargo", "--toolchain", "stable", "--index-url", reg.index_url, "--crate-url",
                  reg.crate_url_template(), "--offline", "--features", "default"]
    print(f"\nbuilds: {len(crates)} crates ({', '.join(c[0] for c in crates)}), {runs} runs each, alternating")
    walls = {"forge run --jobs 2": [], "sequential loop": []}
    # FIXED_SHARE=1 adds a third side: forge run with the fixed share every job got before the jobserver
    # (--cargo-jobs ceil(cores / 2)), so both settings meet the same machine load.
    fixed = os.environ.get("FIXED_SHARE") == "1"
    if fixed:
        walls["forge run --cargo-jobs share"] = []
    util = {k: [] for k in walls}
    try:
        for r in range(runs):
            out = tmp / f"forge-{r}"
            extra = ["--cargo-jobs", os.environ["CARGO_JOBS"]] if os.environ.get("CARGO_JOBS") else []
            wall, _, cpu = measure([forge, "-q", "run", "--queue", queue, "--out", out, "--jobs", "2", "--target",
                                    TARGET, *extra, "--", *build_args], env=env)
            walls["forge run --jobs 2"].append(wall)
            util["forge run --jobs 2"].append(cpu / (wall * CORES))
            # The same cargo commands, one after another, each with every core.
            script = tmp / f"loop-{r}.sh"
            lines = ["set -e"]
            for name, version, _ in crates:
                res = json.loads((out / "x86_64-Linux" / name / version / "result.json").read_text())
                argv = [a if prev != "--jobs" else str(CORES) for prev, a in zip([""] + res["argv"], res["argv"])]
                # forge's first phase (cargo fetch: it writes the Cargo.lock the --locked build follows).
                fetch = " ".join(res.get("fetch_argv") or ["true"])
                src = tmp / f"loop-{r}" / name
                lines += [f"mkdir -p {src}", f"tar xzf {reg.crate_file(name, version)} -C {src}",
                          f"(cd {src}/{name}-{version} && {fetch} && CARGO_TARGET_DIR={src}/target {' '.join(argv)}) "
                          ">/dev/null 2>&1 || true"]
            script.write_text("\n".join(lines) + "\n")
            loop_env = dict(env)
            loop_env.update(PROFILE_ENV)
            wall2, _, cpu2 = measure(["bash", script], env=loop_env)
            walls["sequential loop"].append(wall2)
            util["sequential loop"].append(cpu2 / (wall2 * CORES))
            if fixed:
                out3 = tmp / f"fixed-{r}"
                wall3, _, cpu3 = measure([forge, "-q", "run", "--queue", queue, "--out", out3, "--jobs", "2",
                                          "--target", TARGET, "--cargo-jobs", str(-(-CORES // 2)), "--",
                                          *build_args], env=env)
                walls["forge run --cargo-jobs share"].append(wall3)
                util["forge run --cargo-jobs share"].append(cpu3 / (wall3 * CORES))
                print(f"  run {r + 1}/{runs}: forge run --cargo-jobs {-(-CORES // 2)} {wall3:6.1f}s "
                      f"({util['forge run --cargo-jobs share'][-1]:.0%} CPU)", flush=True)
            print(f"  run {r + 1}/{runs}: forge run {wall:6.1f}s ({util['forge run --jobs 2'][-1]:.0%} CPU)  "
                  f"loop {wall2:6.1f}s ({util['sequential loop'][-1]:.0%} CPU)", flush=True)
    finally:
        reg.stop()
        if os.environ.get("KEEP") == "1":
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in walls.items()}
    # Each pair ran back to back, so its ratio is the least disturbed by whatever else the machine does.
    ratios = [f / l for f, l in zip(walls["forge run --jobs 2"], walls["sequential loop"])]
    print(f"median forge run --jobs 2 {med['forge run --jobs 2']:.1f}s, sequential loop {med['sequential loop']:.1f}s;"
          f" per-run ratios {', '.join(f'{x:.2f}' for x in ratios)}, median ratio {statistics.median(ratios):.2f}")
    if fixed:
        r3 = [f / l for f, l in zip(walls["forge run --cargo-jobs share"], walls["sequential loop"])]
        print(f"fixed share: median {med['forge run --cargo-jobs share']:.1f}s, per-run ratios "
              f"{', '.join(f'{x:.2f}' for x in r3)}, median ratio {statistics.median(r3):.2f}")
    for k, v in util.items():
        print(f"CPU utilisation {k}: {statistics.median(v):.0%} of {CORES} cores")


pool_overhead()
if builds:
    real_builds()
