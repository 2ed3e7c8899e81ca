"""Why: the real-crate corpus benchmark (bench/corpus.sh explains the setup). This part builds the mirror,
serves it, writes the queue and the cargo home, runs `forge run` for the host target and prints what came out:
yield, each crate's status and reason, the reasons histogram, wall time, mean job time, CPU time.

    python3 corpus.py --forge FORGE --cache DIR [--only a,b] [--jobs N] [--timeout 20m] [--keep-build-dir]
                      CRATE=DEBIAN_PACKAGE ... [-- extra forge build arguments]

Results stay in DIR/runs/<UTC time>/ (queue.json, cargo-home/, out/, summary.json); DIR/runs/latest points
at the newest.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
sys.path.insert(0, str(HERE))
import buildenv  # noqa: E402
from corpus_mirror import build_mirror, write_index_config  # noqa: E402
from httpserver import TestServer  # noqa: E402


def packaged_version(crate, package):
    """The version of `crate` that Debian's `package` installs (its /usr/share/cargo/registry/<crate>-<v>)."""
    out = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"corpus: {package} is not installed (bench/corpus.sh installs it): {out.stderr.strip()}")
    prefix = f"{buildenv.DEBIAN_REGISTRY}/"
    for line in out.stdout.splitlines():
        if line.startswith(prefix) and line.endswith("/Cargo.toml") and line.count("/") == 6:
            manifest = tomllib.loads(Path(line).read_text(encoding="utf-8"))
            if manifest["package"]["name"] == crate:
                return manifest["package"]["version"], Path(line).parent, manifest
    sys.exit(f"corpus: {package} ships no {crate} under {prefix}")


def bin_names(src, manifest):
    """The executables cargo would build by default, as crates.io's `bin_names` lists them."""
    names = [b["name"] for b in manifest.get("bin", []) if "name" in b]
    if manifest["package"].get("autobins", True):
        if (src / "src" / "main.rs").exists() and manifest["package"]["name"] not in names:
            names.append(manifest["package"]["name"])
        bindir = src / "src" / "bin"
        if bindir.is_dir():
            for p in sorted(bindir.iterdir()):
                stem = p.stem if p.suffix == ".rs" else p.name
                if (p.suffix == ".rs" or (p / "main.rs").exists()) and stem not in names:
                    names.append(stem)
    return names


def host_triple():
    cargo = buildenv.find_cargo() or "cargo"
    rustc = str(Path(cargo).with_name("rustc")) if "/" in cargo else "rustc"
    out = subprocess.run([rustc, "-vV"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PATH=buildenv._path_with_cargo()))
    return next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("host:"))


def write_cargo_home(run_dir, registry_url):
    """crates-io replaced by the loopback sparse mirror: the host-side `cargo fetch` downloads every
    dependency as it would from crates.io, the sandboxed build then runs offline from this cargo home."""
    home = run_dir / "cargo-home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "corpus-mirror"\n\n'
        f'[source.corpus-mirror]\nregistry = "sparse+{registry_url}"\n', encoding="utf-8")
    return home


def static_executables(result_dir, names):
    """The executables of a result dir that really are static ELF files (checked here, not by forge)."""
    ok = []
    for name in names:
        path = result_dir / name
        try:
            info = buildenv.elf_info(path)
        except Exception:  # noqa: BLE001 - a missing or foreign file is simply not a static executable
            continue
        if info["interp"] is None and not info["needed"]:
            ok.append(name)
    return ok


class CpuMeter:
    """CPU time of this process and everything it starts, sandboxed builds included: bwrap's pid namespace
    drops its children's times from wait4's rusage, so a cpuacct cgroup (v1) or a cgroup v2 child group
    counts them; when neither can be made, the machine's busy time from /proc/stat (other load included)."""

    def __init__(self):
        self.group, self.home, self.kind = None, None, "machine busy time (/proc/stat, includes other load)"
        v1 = Path("/sys/fs/cgroup/cpuacct")
        mine = {f[1]: f[2] for f in (line.split(":", 2) for line in
                                     Path("/proc/self/cgroup").read_text().splitlines())}
        try:
            if (v1 / "cpuacct.usage").exists():
                self.home = v1 / mine.get("cpuacct", mine.get("cpu,cpuacct", "/")).lstrip("/")
                self.usage = lambda g: int((g / "cpuacct.usage").read_text()) / 1e9
                self.kind = "cpuacct cgroup"
            elif (Path("/sys/fs/cgroup") / "cgroup.controllers").exists():
                self.home = Path("/sys/fs/cgroup") / mine.get("", "/").lstrip("/")
                self.usage = lambda g: next(int(line.split()[1]) for line in (g / "cpu.stat").read_text()
                                            .splitlines() if line.startswith("usage_usec")) / 1e6
                self.kind = "cgroup v2 cpu.stat"
            if self.home is not None:
                self.group = self.home / f"forge-corpus-{os.getpid()}"
                self.group.mkdir()
                (self.group / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            if self.group is not None and self.group.exists():
                self.group.rmdir()
            self.group, self.kind = None, "machine busy time (/proc/stat, includes other load)"
        self.start = self._read()

    def _read(self):
        if self.group is not None:
            return self.usage(self.group)
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait

    def stop(self):
        used = self._read() - self.start
        if self.group is not None:
            (self.home / "cgroup.procs").write_text(str(os.getpid()))
            for _ in range(50):  # the group empties once the last build process is reaped
                try:
                    self.group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
        return used


def summarise(rows, out, host, wall, cpu, argv):
    results, reasons, durations = [], collections.Counter(), []
    for row in rows:
        d = buildenv.out_dir_of(out, host, row["name"], row["version"])
        res_path = d / "result.json"
        if not res_path.exists():
            results.append({"crate": row["name"], "version": row["version"], "status": "missing",
                            "reason": "no result.json", "details": None, "duration_s": None, "static": []})
            reasons["(no result)"] += 1
            continue
        res = json.loads(res_path.read_text(encoding="utf-8"))
        exes = [e["name"] if isinstance(e, dict) else e for e in res.get("executables", [])]
        static = static_executables(d, exes) if res["status"] == "built" else []
        durations.append(res["duration_s"])
        results.append({"crate": row["name"], "version": row["version"], "status": res["status"],
                        "reason": res.get("reason"), "details": res.get("details"),
                        "feature_mode": res.get("feature_mode"), "duration_s": res["duration_s"],
                        "static": static, "log": str(buildenv.log_path(res, d))})
        if res["status"] != "built":
            reasons[res["reason"]] += 1
        elif not static:
            reasons["built, no static executable"] += 1
    good = sum(1 for r in results if r["static"])
    summary = {"yield": good, "queued": len(rows), "wall_s": round(wall, 1),
               "mean_job_s": round(sum(durations) / len(durations), 1) if durations else None,
               "cpu_s": round(cpu, 1), "reasons": dict(reasons.most_common()), "crates": results,
               "argv": argv}
    return summary


def print_summary(s):
    print(f"\n{'crate':<16} {'version':<10} {'status':<7} {'time':>7}  reason / executables")
    for r in s["crates"]:
        t = f"{r['duration_s']:.0f}s" if r["duration_s"] is not None else "-"
        what = (", ".join(r["static"]) + (f" (features {r['feature_mode']})" if r.get("feature_mode") else "")
                if r["static"] else f"{r['reason']}: {r['details'] or ''}")
        print(f"{r['crate']:<16} {r['version']:<10} {r['status']:<7} {t:>7}  {what[:150]}")
    print("\nreasons: " + (", ".join(f"{k} {v}" for k, v in s["reasons"].items()) or "none"))
    pct = 100.0 * s["yield"] / s["queued"] if s["queued"] else 0.0
    print(f"yield: {s['yield']}/{s['queued']} crates with >= 1 static executable ({pct:.0f}%)")
    print(f"wall: {s['wall_s']:.0f} s   mean job time: {s['mean_job_s']} s   "
          f"CPU: {s['cpu_s']:.0f} s ({s['cpu_measured_by']}: forge run, its builds, the mirror)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forge", required=True)
    ap.add_argument("--cache", required=True, type=Path)
    ap.add_argument("--only", default="")
    ap.add_argument("--jobs", default="")
    ap.add_argument("--timeout", default="20m")
    ap.add_argument("--keep-build-dir", action="store_true")
    ap.add_argument("crates", nargs="+", help="CRATE=DEBIAN_PACKAGE")
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    args = ap.parse_args(argv)

    pairs = [c.split("=", 1) for c in args.crates]
    only = {c for c in args.only.split(",") if c}
    unknown = only - {c for c, _ in pairs}
    if unknown:
        sys.exit(f"corpus: --only names crates outside the corpus: {', '.join(sorted(unknown))}")
    roots = [(crate, *packaged_version(crate, pkg)) for crate, pkg in pairs]

    t0 = time.monotonic()
    sums = build_mirror(args.cache / "mirror", [c for c, *_ in roots])
    print(f"corpus: mirror of {sum(len(v) for v in sums.values())} crate versions ready in "
          f"{time.monotonic() - t0:.0f} s ({args.cache / 'mirror'})", flush=True)

    rows = []
    for crate, version, src, manifest in roots:
        if only and crate not in only:
            continue
        pkg = manifest["package"]
        rows.append({"name": crate, "version": version, "checksum": sums[crate][version],
                     "bin_names": bin_names(src, manifest), "description": pkg.get("description"),
                     "license": pkg.get("license"), "repository": pkg.get("repository"),
                     "homepage": pkg.get("homepage"), "edition": pkg.get("edition"),
                     "rust_version": pkg.get("rust-version") if isinstance(pkg.get("rust-version"), str) else None,
                     "has_lib": (src / "src" / "lib.rs").exists() or "lib" in manifest})

    run_dir = args.cache / "runs" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir.mkdir(parents=True)
    latest = args.cache / "runs" / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(run_dir.name)
    queue = buildenv.write_queue(run_dir / "queue.json", rows)

    srv = TestServer(args.cache / "mirror")
    srv.start()
    try:
        index_url = srv.url("/index/")
        write_index_config(args.cache / "mirror", srv.url("/crates"))
        home = write_cargo_home(run_dir, index_url)
        env = dict(os.environ)
        env.update(buildenv.build_env(run_dir, home))
        for key in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "RUSTFLAGS", "CARGO_BUILD_TARGET"):
            env.pop(key, None)
        host = host_triple()
        out = run_dir / "out"
        run_argv = [args.forge, "run", "--queue", str(queue), "--out", str(out), "--target", host,
                    "--timeout", args.timeout]
        if args.jobs:
            run_argv += ["--jobs", args.jobs]
        if args.keep_build_dir:
            run_argv += ["--keep-build-dir", "--build-dir", str(run_dir / "builds")]
        run_argv += ["--", "--index-url", index_url, "--crate-url",
                     srv.url("/crates") + "/{crate}/{crate}-{version}.crate", *extra]
        print(f"corpus: {len(rows)} crates -> {run_dir}\ncorpus: {' '.join(run_argv)}", flush=True)
        meter = CpuMeter()
        start = time.monotonic()
        with open(run_dir / "forge-run.log", "wb") as log:
            proc = subprocess.Popen(run_argv, cwd=run_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT)
            status = proc.wait()
        wall = time.monotonic() - start
        cpu = meter.stop()
        code = status
    finally:
        srv.stop()
    if code != 0:
        print(f"corpus: forge run exited with {code}; last lines of {run_dir / 'forge-run.log'}:", file=sys.stderr)
        print("\n".join((run_dir / "forge-run.log").read_text(errors="replace").splitlines()[-20:]), file=sys.stderr)
    host_dir = buildenv.HOST_OF.get(host, host)
    summary = summarise(rows, out, host_dir, wall, cpu, run_argv)
    summary["forge_run_exit"] = code
    summary["cpu_measured_by"] = meter.kind
    summary["load_avg_after"] = os.getloadavg()
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print_summary(summary)
    print(f"results: {run_dir} (summary.json, out/, forge-run.log)")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
