"""Why: users build with `cross` (musl targets in containers), which this machine cannot run: no docker
engine, no musl std, no cross-rs. A stand-in `cross` on PATH records exactly what forge asks of it (argv,
RUSTFLAGS, the release-profile environment) and delegates to real stable cargo for the glibc twin of the
target, copying the executables into --artifact-dir as nightly cargo would. So the whole cross flow --
command line, artifact collection, metadata for every executable -- runs for real, and `--builder auto`
is checked not to pick cross when no container engine answers."""
import json
import os
import sys
from pathlib import Path

import buildenv
from buildenv import CRATE_FIXTURES, Registry, build_env, cargo_home, check, load_result
from harness import SkipTest, load_json, main, run_forge

try:
    import soarcheck
except ImportError:
    soarcheck = None

CRATE, V = "fx-ok", "0.1.0"
EXES = ("fx-ok", "fx-ok-helper")
TIMEOUT = 900

STANDIN = r'''#!__PYTHON__
"""Stand-in for cross-rs (written by test_build_cross_standin.py): records, then delegates to cargo."""
import json, os, shutil, subprocess, sys
from pathlib import Path

REAL_CARGO = __REAL_CARGO__
RUSTUP = __RUSTUP__
LOG = __LOG__

record = {"argv": ["cross"] + sys.argv[1:], "argv0": sys.argv[0],
          "env": {k: v for k, v in os.environ.items()
                  if k in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "OPENSSL_STATIC", "CARGO_TARGET_DIR",
                           "RUST_MIN_STACK") or k.startswith("CARGO_PROFILE_RELEASE_")},
          "cwd": os.getcwd()}
runs = json.load(open(LOG)) if os.path.exists(LOG) else []
runs.append(record)
with open(LOG, "w") as f:
    json.dump(runs, f, indent=1)

args = sys.argv[1:]
if args and args[0].startswith("+"):
    args = args[1:]  # the nightly of the original pipeline: stable does the work here
out, artifact_dir, target = [], None, None
i = 0
while i < len(args):
    a = args[i]
    if a == "-Z":
        i += 2
        continue
    if a == "--artifact-dir":
        artifact_dir = args[i + 1]
        i += 2
        continue
    if a == "--target":
        target = args[i + 1].replace("-unknown-linux-musl", "-unknown-linux-gnu")  # no musl std here
        out += ["--target", target]
        i += 2
        continue
    out.append(a)
    i += 1
env = dict(os.environ)
if not env.get("CARGO_ENCODED_RUSTFLAGS"):
    env.pop("CARGO_ENCODED_RUSTFLAGS", None)  # set but empty would still override RUSTFLAGS
env["RUSTFLAGS"] = " ".join(env.get("RUSTFLAGS", "").replace("-C link-self-contained=yes", "").split())
rc = subprocess.call([REAL_CARGO] + (["+stable"] if RUSTUP else []) + out, env=env)
if rc == 0 and artifact_dir:
    release = Path(env.get("CARGO_TARGET_DIR", "target")) / target / "release"
    os.makedirs(artifact_dir, exist_ok=True)
    for p in sorted(release.iterdir()):
        if p.is_file() and os.access(p, os.X_OK) and "." not in p.name:
            shutil.copy2(p, os.path.join(artifact_dir, p.name))
sys.exit(rc)
'''


def setup(tmp):
    cargo = buildenv.require_cargo("stable")
    if not (CRATE_FIXTURES / CRATE / "Cargo.toml").exists():
        raise SkipTest(f"fixture crate {CRATE} missing")
    reg = Registry(tmp)
    reg.add_fixture(CRATE, V)
    home = cargo_home(tmp)
    bindir = tmp / "bin"
    bindir.mkdir()
    log = tmp / "cross-calls.json"
    script = (STANDIN.replace("__PYTHON__", sys.executable).replace("__REAL_CARGO__", repr(cargo))
              .replace("__RUSTUP__", repr("/.cargo/bin/" in cargo)).replace("__LOG__", repr(str(log))))
    (bindir / "cross").write_text(script, encoding="utf-8")
    # Container engines that never answer, whatever this machine has installed.
    for engine in ("docker", "podman"):
        (bindir / engine).write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    for p in bindir.iterdir():
        p.chmod(0o755)
    env = build_env(tmp, home, path_first=[bindir])
    return reg, env, log


def test_cross_argv_env_and_artifacts(tmp):
    reg, env, log = setup(tmp)
    out = tmp / "out"
    try:
        r = run_forge("build", CRATE, "--builder", "cross", "--target", "x86_64", "--index-url", reg.index_url,
                      "--out", out, "--jobs", "3", "--offline", cwd=tmp, env=env, timeout=TIMEOUT)
    finally:
        reg.stop()
    check(log.exists(), "the stand-in cross was run", r)
    calls = load_json(log)
    check(len(calls) >= 1, "one cross call at least", r)
    call = calls[0]
    argv = call["argv"]
    check(os.path.basename(call["argv0"]) == "cross", f"program is cross: {call['argv0']}", r)
    check(len(argv) > 9 and argv[8] == "--artifact-dir", f"--artifact-dir at index 8: {argv}", r)
    artifact_dir = argv[9]
    expected = ["cross", "+nightly", "build", "--target", "x86_64-unknown-linux-musl", "-Z", "unstable-options",
                "--all-features", "--artifact-dir", artifact_dir, "--jobs", "3", "--release", "--verbose"]
    if (CRATE_FIXTURES / CRATE / "Cargo.lock").exists():
        expected.append("--locked")
    expected.append("--offline")
    check(argv == expected, f"cross argv\n  got      {argv}\n  expected {expected}", r)
    e = call["env"]
    rustflags = e.get("RUSTFLAGS", "")
    check("-C link-self-contained=yes" in rustflags, f"musl RUSTFLAGS self-contained: {rustflags!r}", r)
    check("+crt-static" in rustflags, f"RUSTFLAGS crt-static: {rustflags!r}", r)
    check(e.get("OPENSSL_STATIC") == "1", f"OPENSSL_STATIC=1: {e.get('OPENSSL_STATIC')!r}", r)
    check(e.get("CARGO_PROFILE_RELEASE_LTO") == "true", f"release profile env: {e}", r)
    check(e.get("CARGO_TARGET_DIR"), "CARGO_TARGET_DIR set", r)
    check("CARGO_ENCODED_RUSTFLAGS" not in e,
          f"CARGO_ENCODED_RUSTFLAGS must be removed (even empty, cargo then ignores RUSTFLAGS): {e}", r)
    check(Path(e["CARGO_TARGET_DIR"]).resolve() != (Path(call["cwd"]) / "target").resolve(),
          "CARGO_TARGET_DIR is forge's own, not the crate's target/", r)

    check(r.code == 0, "the build through the stand-in succeeds", r)
    res, d = load_result(out, "x86_64-Linux", CRATE, V, r)
    buildenv.check_result_shape(res, r)
    check(res["status"] == "built", f"built: {res['reason']} {res['details']}", r)
    check(res["builder"] == "cross", f"builder cross: {res['builder']}", r)
    # cross keeps its own behaviour: its container, one phase (no host-side cargo fetch), no bwrap around it.
    check(res["sandbox"] == "none" and "own container" in res["sandbox_reason"],
          f"no bwrap around cross: {res['sandbox']} ({res['sandbox_reason']})", r)
    check(res["fetch_argv"] is None and len(calls) == 1, f"one phase for cross: {res['fetch_argv']} {calls}", r)
    check(res["target"] == "x86_64-unknown-linux-musl", f"target {res['target']}", r)
    check(res["argv"] == argv, f"result.json argv is what ran: {res['argv']}", r)
    names = sorted(x["name"] for x in res["executables"])
    check(names == sorted(EXES), f"both executables collected: {names}", r)
    lines = (d / "CHECKSUM").read_text(encoding="utf-8").splitlines()
    for exe in EXES:
        path = d / exe
        check(path.is_file(), f"{path} exists", r)
        buildenv.check_static(path)
        bsum = buildenv.blake3(path)
        check(f"{exe}:{bsum}" in lines, f"CHECKSUM line for {exe}: {lines}", r)
        rec = load_json(d / f"{exe}.json")
        if soarcheck is not None:
            problems = soarcheck.check_record(rec)
            check(not problems, f"{exe}.json violates soar rules: {problems}", r)
        check(rec.get("pkg_name") == exe and rec.get("pkg_family") == CRATE, f"{exe}.json names: {rec}", r)
        check(sorted(rec.get("provides") or []) == sorted(EXES), f"{exe}.json provides both: {rec.get('provides')}",
              r)
        check(rec.get("bsum") == bsum, f"{exe}.json bsum", r)
        check((d / f"{exe}.version").is_file() and (d / f"{exe}.log").is_file(), f"{exe}.version/.log", r)


def test_auto_does_not_pick_cross_without_engine(tmp):
    reg, env, log = setup(tmp)
    out = tmp / "out"
    try:
        r = run_forge("build", CRATE, "--builder", "auto", "--target", "x86_64-unknown-linux-gnu", "--toolchain",
                      "stable", "--index-url", reg.index_url, "--out", out, "--offline", cwd=tmp, env=env,
                      timeout=TIMEOUT)
    finally:
        reg.stop()
    check(not log.exists(), f"the stand-in cross must not run: {log.read_text() if log.exists() else ''}", r)
    res, _ = load_result(out, "x86_64-Linux", CRATE, V, r)
    check(res["builder"] != "cross", f"auto picked {res['builder']}", r)
    text = (r.out + r.err).lower()
    check("cross" in text and ("engine" in text or "docker" in text),
          "forge says why it did not pick cross (no container engine)", r)
    check(r.code == 0 and res["status"] == "built", f"built with {res['builder']}", r)


if __name__ == "__main__":
    main([test_cross_argv_env_and_artifacts, test_auto_does_not_pick_cross_without_engine])
