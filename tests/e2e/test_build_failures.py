"""Why: at 40,000 crates most builds fail, and a failure is only useful with the right reason, the log,
and nothing left behind (no runaway build script, no unverified bytes unpacked). Each test builds a
fixture crate from tests/fixtures/crates through the loopback sparse index and checks result.json's
reason, the exit code, the log it names, and what was (not) left on disk."""
import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import buildenv
from buildenv import CRATE_FIXTURES, Registry, build_env, cargo_home, check, load_result
from harness import SkipTest, forge_bin, main, run_forge

HOST_TRIPLE, HOST = "x86_64-unknown-linux-gnu", "x86_64-Linux"
V = "0.1.0"
TIMEOUT = 900

_shared = {}


def shared():
    if not _shared:
        root = Path(tempfile.mkdtemp(prefix="forge-e2e-fail-"))
        atexit.register(shutil.rmtree, root, True)
        reg = Registry(root)
        atexit.register(reg.stop)
        for name in sorted(os.listdir(CRATE_FIXTURES)) if CRATE_FIXTURES.is_dir() else []:
            if (CRATE_FIXTURES / name / "Cargo.toml").exists():
                reg.add_fixture(name, V)
        _shared.update(root=root, reg=reg, home=cargo_home(root))
    return _shared["reg"], _shared["home"]


def need(reg, name):
    if (name, V) not in reg.checksums:
        raise SkipTest(f"fixture crate {name} does not exist yet under {CRATE_FIXTURES}")


def build_args(tmp, crate, *extra, features="default"):
    reg, _ = shared()
    # --sandbox-env: the leftover-process checks find the build's processes by this variable, which the
    # sandbox (the default here) would otherwise keep out.
    return ["build", crate, "--target", HOST_TRIPLE, "--builder", "cargo", "--toolchain", "stable",
            "--index-url", reg.index_url, "--out", tmp / "out", "--offline", "--features", features,
            "--sandbox-env", "FORGE_E2E_MARKER", *extra]


def build(tmp, crate, *extra, env_extra=None, timeout=TIMEOUT, features="default"):
    """`forge build <crate>` for the host with rustup's stable cargo, one feature attempt unless `features`."""
    buildenv.require_cargo("stable")
    _, home = shared()
    env = build_env(tmp, home, **(env_extra or {}))
    return run_forge(*build_args(tmp, crate, *extra, features=features), cwd=tmp, env=env, timeout=timeout)


def attempts(log):
    """The builder command lines forge logged, one per attempt."""
    return [line.split(": ", 1)[1] for line in log.splitlines() if line.startswith("forge: attempt ")
            and ": " in line and " finished in " not in line]


def fetches(log):
    """The dependency fetch command lines forge logged (phase one, on the host)."""
    return [line.split(": ", 1)[1] for line in log.splitlines() if line.startswith("forge: fetch ")
            and ": " in line and " finished in " not in line]


def failed(tmp, r, crate, reason, code=8, version=V, executables=False):
    """The common shape of a failure: exit code, result.json with status failed and `reason`, its log."""
    check(r.code == code, f"exit {code} for {reason}", r)
    res, d = load_result(tmp / "out", HOST, crate, version, r)
    buildenv.check_result_shape(res, r)
    check(res["status"] == "failed", f"status failed: {res['status']}", r)
    check(res["reason"] == reason, f"reason {res['reason']!r}, expected {reason!r}; details {res.get('details')!r}",
          r)
    if not executables:
        check(res["executables"] == [], f"no executables on failure: {res['executables']}", r)
    log = buildenv.check_log(res, d, r)
    return res, d, log


def unpacked_leftovers(tmp, crate):
    """Files of the crate's source anywhere under tmp (out, cache, tmpdir, build dirs)."""
    hits = []
    for p in Path(tmp).rglob("*"):
        if p.name == "Cargo.toml" or (p.is_dir() and p.name == f"{crate}-{V}"):
            hits.append(str(p))
    return hits


def procs_with_marker(marker):
    """Processes (other than this one) whose environment carries `marker`: cargo, rustc, build scripts."""
    found = []
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(f"{pid}: {cmd}")
    return found


def procs_like_sleep_fixture():
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if "fx-sleep" in cmd and "build-script" in cmd:
            found.append(f"{pid}: {cmd}")
    return found


# -- tests -----------------------------------------------------------------------------------------------

def test_missing_system_library(tmp):
    reg, _ = shared()
    need(reg, "fx-missing-lib")
    if not list(buildenv.DEBIAN_REGISTRY.glob("pkg-config-0.3.*")):
        raise SkipTest("the pkg-config crate is not in the Debian registry: apt-get install librust-pkg-config-dev")
    r = build(tmp, "fx-missing-lib")
    res, _, log = failed(tmp, r, "fx-missing-lib", "missing-system-library")
    libs = res.get("libraries") or []
    check("forge-nonexistent-lib" in libs or "forge-nonexistent-lib" in (res.get("details") or ""),
          f"the library is named: libraries={libs!r} details={res.get('details')!r}", r)
    check(res["spurious"] is False, "a missing library is not spurious", r)
    check("forge-nonexistent-lib" in log, "the log holds the build script's output", r)


def test_timeout_kills_the_whole_build(tmp):
    reg, _ = shared()
    need(reg, "fx-sleep")
    before = procs_like_sleep_fixture()
    marker = "FORGE_E2E_MARKER=" + uuid.uuid4().hex
    key, value = marker.split("=", 1)
    start = time.monotonic()
    r = build(tmp, "fx-sleep", "--timeout", "5s", env_extra={key: value}, timeout=300, features="all-then-default")
    elapsed = time.monotonic() - start
    res, _, log = failed(tmp, r, "fx-sleep", "timeout")
    check(res["spurious"] is True, "a timeout is spurious", r)
    check(len(attempts(log)) == 1 and res["feature_mode"] == "all",
          f"a spurious failure is not retried with default features: {attempts(log)}", r)
    check(elapsed < 60, f"finished {elapsed:.1f} s after start: timeout 5 s + grace + margin < 60 s", r)
    time.sleep(0.5)
    left = procs_with_marker(marker)
    check(not left, f"processes of the timed-out build still alive: {left}", r)
    new = [p for p in procs_like_sleep_fixture() if p not in before]
    check(not new, f"fx-sleep build script still alive: {new}", r)


def test_wrong_checksum_unpacks_nothing(tmp):
    reg, _ = shared()
    need(reg, "fx-ok")
    wrong = "0" * 64
    queue = buildenv.write_queue(tmp / "queue.json", [{"name": "fx-ok", "version": V, "checksum": wrong}])
    r = build(tmp, "fx-ok", "--queue", queue, "--crate-url", reg.crate_url_template())
    res, _, _ = failed(tmp, r, "fx-ok", "checksum-mismatch", code=7)
    check(reg.srv.requests(reg.crate_path("fx-ok", V)), "the .crate was downloaded", r)
    cached = [str(p) for p in (tmp / "cache").rglob("*.crate")]
    check(not cached, f"the mismatching .crate is deleted from the cache: {cached}", r)
    left = unpacked_leftovers(tmp, "fx-ok")
    check(not left, f"nothing unpacked from unverified bytes: {left}", r)
    check(res["spurious"] is False, "checksum mismatch is not spurious", r)


def test_compile_error_with_codes(tmp):
    reg, _ = shared()
    need(reg, "fx-compile-error")
    r = build(tmp, "fx-compile-error")
    res, _, log = failed(tmp, r, "fx-compile-error", "compile-error")
    codes = res.get("error_codes")
    text = " ".join(codes) if isinstance(codes, list) else str(res.get("details"))
    for code in ("E0308", "E0425"):
        check(code in text, f"{code} reported: error_codes={codes!r} details={res.get('details')!r}", r)
    check("E0308" in log, "the log holds rustc's output", r)


def test_link_error(tmp):
    reg, _ = shared()
    need(reg, "fx-link-error")
    r = build(tmp, "fx-link-error")
    _, _, log = failed(tmp, r, "fx-link-error", "link-error")
    check("forge_missing_symbol" in log, "the log holds the linker's complaint", r)


def test_dynamic_binary_is_not_static(tmp):
    """fx-dynamic's build script asks for libz as a dylib (`cargo:rustc-link-lib=dylib=z`), as -sys crates do.
    With forge's own flags (+crt-static, static-pie) the link succeeds and gives an executable with DT_NEEDED
    libz.so.1 but no PT_INTERP, which crashes at start: it must fail as not-static, not be shipped."""
    reg, _ = shared()
    need(reg, "fx-dynamic")
    r = build(tmp, "fx-dynamic")
    res, d, _ = failed(tmp, r, "fx-dynamic", "not-static", executables=True)
    check([(e["name"], e["static"]) for e in res["executables"]] == [("fx-dynamic", False)],
          f"executables lists the dynamic one as not static: {res['executables']}", r)
    check(not (d / "fx-dynamic.json").exists(), "no soar record for a dynamic executable", r)
    kept = [p for p in (tmp / "out").rglob("fx-dynamic") if p.is_file()]
    check(kept, f"the dynamic executable is kept for inspection somewhere under out: none in {tmp / 'out'}", r)
    info = buildenv.elf_info(kept[0])
    check("libz.so.1" in info["needed"], f"the kept file really needs libz.so.1: {info}", r)
    for name in ("CHECKSUM", "fx-dynamic.version", "fx-dynamic.log"):
        check(not (d / name).exists(), f"no {name}: nothing is described as a package", r)
    check(not (d / "fx-dynamic").exists(), "the dynamic executable is not where packages go", r)
    check("libz.so.1" in (res.get("details") or ""), f"details name the library: {res.get('details')!r}", r)
    # The ladder tried the static switches once (fx-dynamic ignores them), then stopped.
    tried = [(a["outcome"], a["env"]) for a in res["attempts"]]
    check(tried == [("not-static", []), ("not-static", ["PKG_CONFIG_ALL_STATIC=1", "Z_STATIC=1"])],
          f"one static-closure retry, recorded: {res['attempts']}", r)


def test_not_static_retries_with_the_sys_crates_static_switch(tmp):
    """fx-sys-static links libz as a dylib unless Z_STATIC is set (as nettle-sys does with NETTLE_STATIC):
    the first attempt gives a not-static executable, the ladder's static-closure rung sets Z_STATIC=1 from its
    DT_NEEDED libz.so.1 (passed into the sandbox), and the second attempt is static."""
    reg, _ = shared()
    need(reg, "fx-sys-static")
    r = build(tmp, "fx-sys-static")
    check(r.code == 0, "built on the static-closure rung", r)
    res, d = load_result(tmp / "out", HOST, "fx-sys-static", V, r)
    log = buildenv.check_log(res, d, r)
    check([a["outcome"] for a in res["attempts"]] == ["not-static", "built"], f"attempts: {res['attempts']}", r)
    second = res["attempts"][1]
    check("Z_STATIC=1" in second["env"] and second["change"].startswith("static closure: "),
          f"what changed is recorded: {second}", r)
    check(second["why"].startswith("not-static: ") and "libz.so.1" in second["why"], f"and why: {second}", r)
    check("the executables link shared libraries; retrying with PKG_CONFIG_ALL_STATIC=1 Z_STATIC=1" in log,
          "the log announces the rung", r)
    check(buildenv.elf_info(d / "fx-sys-static")["needed"] == [], "the shipped executable needs nothing", r)
    check(not list((tmp / "out").rglob("not-static")), "the superseded attempt's copies are gone", r)
    run = subprocess.run([str(d / "fx-sys-static")], capture_output=True, text=True, timeout=30)
    check(run.returncode == 0 and "zlib 1." in run.stdout, f"and runs: {run.stdout!r} {run.stderr!r}", r)


def test_lints_are_capped_unless_asked_not_to(tmp):
    """fx-deny-warnings has `#![deny(warnings)]` and an unused variable: built with forge's default
    `--cap-lints warn` (one attempt), a compile-error with --no-cap-lints."""
    reg, _ = shared()
    need(reg, "fx-deny-warnings")
    r = build(tmp, "fx-deny-warnings")
    check(r.code == 0, "built with lints capped", r)
    res, d = load_result(tmp / "out", HOST, "fx-deny-warnings", V, r)
    log = buildenv.check_log(res, d, r)
    check(len(res["attempts"]) == 1, f"in one attempt: {res['attempts']}", r)
    check("--cap-lints warn" in log and "unused variable" in log, "the warning is still in the log", r)
    r = build(tmp, "fx-deny-warnings", "--no-cap-lints")
    res, _, log = failed(tmp, r, "fx-deny-warnings", "compile-error")
    check("--cap-lints" not in log, "no cap with --no-cap-lints", r)


def test_missing_builder(tmp):
    reg, _ = shared()
    need(reg, "fx-ok")
    r = build(tmp, "fx-ok", "--cargo", "/nonexistent/cargo")
    res, _, _ = failed(tmp, r, "fx-ok", "builder-missing")
    check("/nonexistent/cargo" in (res.get("details") or "") or "/nonexistent/cargo" in r.err,
          f"names the missing program: {res.get('details')!r}", r)


def test_crate_404_is_a_download_failure(tmp):
    reg, _ = shared()
    need(reg, "fx-ok")
    # The index lists the crate, but the .crate URL it leads to does not exist.
    r = build(tmp, "fx-ok", "--crate-url", reg.srv.url("/nowhere") + "/{crate}-{version}.crate")
    res, _, _ = failed(tmp, r, "fx-ok", "download", code=5)
    check(reg.srv.requests(f"/nowhere/fx-ok-{V}.crate"), "the missing .crate was requested", r)
    check(not [p for p in (tmp / "cache").rglob("*.crate")], "no .crate cached after a 404", r)
    check(not unpacked_leftovers(tmp, "fx-ok"), "nothing unpacked after a 404", r)


def test_stale_lock_is_retried_without_locked(tmp):
    reg, _ = shared()
    need(reg, "fx-stale-lock")
    r = build(tmp, "fx-stale-lock")
    check(r.code == 0, "built once --locked is dropped", r)
    res, d = load_result(tmp / "out", HOST, "fx-stale-lock", V, r)
    check(res["status"] == "built", f"built: {res['reason']} {res['details']}", r)
    log = buildenv.check_log(res, d, r)
    fetched = fetches(log)
    check(len(fetched) == 2, f"two fetches: {fetched}", r)
    check(fetched[0].endswith(" --locked --offline"), f"first with --locked (the crate ships Cargo.lock): {fetched}",
          r)
    check("--locked" not in fetched[1].split(), f"then without, which rewrites Cargo.lock: {fetched}", r)
    check("retrying without --locked" in log, "the log says why", r)
    check("--locked" not in res["fetch_argv"], f"result.json fetch_argv is the fetch that worked: {res['fetch_argv']}",
          r)
    tried = attempts(log)
    check(len(tried) == 1 and tried[0].endswith(" --locked --offline"),
          f"one build, offline and held to the lock file the fetch left: {tried}", r)


def test_features_retry_with_default_and_keeps_locked(tmp):
    reg, _ = shared()
    need(reg, "fx-features")
    r = build(tmp, "fx-features", features="all-then-default")
    check(r.code == 0, "all-then-default builds with default features", r)
    res, d = load_result(tmp / "out", HOST, "fx-features", V, r)
    check(res["status"] == "built" and res["feature_mode"] == "default",
          f"feature_mode records what built: {res['feature_mode']}", r)
    check("--all-features" not in res["argv"], f"argv of the default-features attempt: {res['argv']}", r)
    log = buildenv.check_log(res, d, r)
    tried = attempts(log)
    check(len(tried) == 2 and "--all-features" in tried[0].split() and "--all-features" not in tried[1].split(),
          f"--all-features first, then default features: {tried}", r)
    # The shipped Cargo.lock is fine: a compile error must not drop --locked.
    check(all(t.split().count("--locked") == 1 for t in tried), f"--locked kept on both attempts: {tried}", r)
    check("--all-features failed (compile-error); retrying with default features" in log, "the log says why", r)
    check(buildenv.elf_info(d / "fx-features")["interp"] is None, "the executable is collected", r)
    check(res.get("missing_bins") == ["fx-features-extra (required-features: broken)"],
          f"the feature-gated binary lost with default features is named: {res.get('missing_bins')}", r)
    check("forge: declared [[bin]] fx-features-extra (required-features: broken) was not built" in log,
          "and the log says so", r)
    # The --all-features attempt links fx-features-extra before fx-features fails: that binary of a failed
    # attempt must not be collected by the next one.
    check(not (d / "fx-features-extra").exists() and [x["name"] for x in res["executables"]] == ["fx-features"],
          f"nothing from the failed attempt is packaged: {res['executables']}", r)


def test_all_features_only_fails_and_says_so(tmp):
    reg, _ = shared()
    need(reg, "fx-features")
    r = build(tmp, "fx-features", features="all")
    res, _, log = failed(tmp, r, "fx-features", "compile-error")
    check(res["feature_mode"] == "all" and "--all-features" in res["argv"], f"mode all: {res['feature_mode']}", r)
    check(len(attempts(log)) == 1, f"no retry with --features all: {attempts(log)}", r)
    check("the `broken` feature does not build" in log, "the log holds the compile error", r)


def test_sigint_stops_the_build_and_its_children(tmp):
    """Ctrl-C on forge (SIGINT to forge alone: the builder runs in its own process group) must stop cargo and
    the build script, write the failed result, and exit 130."""
    buildenv.require_cargo("stable")
    reg, home = shared()
    need(reg, "fx-sleep")
    value = uuid.uuid4().hex
    env = dict(os.environ, NO_COLOR="1", **build_env(tmp, home, FORGE_E2E_MARKER=value))
    proc = subprocess.Popen([forge_bin(), *map(str, build_args(tmp, "fx-sleep"))], cwd=tmp, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not [p for p in procs_with_marker("FORGE_E2E_MARKER=" + value) if "build-script-build" in p]:
            if proc.poll() is not None:
                check(False, f"forge ended before the build script ran: {proc.communicate()}")
            check(time.monotonic() < deadline, "the build script never started")
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(proc.returncode == 130, f"exit 130 after SIGINT, got {proc.returncode}\n{out}\n{err}")
    time.sleep(0.5)
    left = procs_with_marker("FORGE_E2E_MARKER=" + value)
    check(not left, f"processes of the interrupted build still alive: {left}")
    res, d = load_result(tmp / "out", HOST, "fx-sleep", V)
    check(res["status"] == "failed" and "interrupted" in (res["details"] or ""), f"result says interrupted: {res}")
    check("Compiling fx-sleep" in buildenv.check_log(res, d), "the log holds cargo's output so far")


def test_library_only_crate_has_no_executables(tmp):
    reg, _ = shared()
    need(reg, "fx-lib-only")
    r = build(tmp, "fx-lib-only")
    res, d, log = failed(tmp, r, "fx-lib-only", "no-executables")
    check("Finished" in log, "cargo itself succeeded", r)
    check(not (d / "CHECKSUM").exists(), "no package files without executables", r)


def test_more_reasons_from_real_builds(tmp):
    """Each fixture fails one way for real; result.json must carry the classifier's reason and extras."""
    reg, _ = shared()
    cases = [
        ("fx-build-script-panic", [], "build-script", False,
         lambda res: res.get("failed_crate") == "fx-build-script-panic" and "refuses to run" in res["details"]),
        ("fx-unresolvable", [], "dependency-resolution", False, lambda res: "serde" in res["details"]),
        ("fx-git-dep", [], "network", True, lambda res: "offline" in res["details"]),
        # rustup's stable has only the host's standard library here.
        ("fx-ok", ["--target", "riscv64gc-unknown-linux-musl"], "target-not-installed", False,
         lambda res: "riscv64gc-unknown-linux-musl" in res["details"] or "target" in res["details"]),
    ]
    for crate, extra, reason, spurious, details_ok in cases:
        need(reg, crate)
        sub = tmp / crate
        sub.mkdir()
        # With an extra --target both targets run (build_args gives the host's); the extra one is checked.
        host = "riscv64-Linux" if extra else HOST
        r = run_forge(*build_args(sub, crate, *extra), cwd=sub, env=build_env(sub, shared()[1]), timeout=TIMEOUT)
        check(r.code == 8, f"{crate}: exit 8", r)
        res, _ = load_result(sub / "out", host, crate, V, r)
        buildenv.check_result_shape(res, r)
        check(res["reason"] == reason, f"{crate}: reason {res['reason']!r}, expected {reason!r}: {res['details']!r}",
              r)
        check(res["spurious"] is spurious, f"{crate}: spurious {res['spurious']}", r)
        check(details_ok(res), f"{crate}: details/extras: {res}", r)


if __name__ == "__main__":
    main([test_not_static_retries_with_the_sys_crates_static_switch, test_lints_are_capped_unless_asked_not_to,
          test_missing_system_library, test_timeout_kills_the_whole_build, test_wrong_checksum_unpacks_nothing,
          test_compile_error_with_codes, test_link_error, test_dynamic_binary_is_not_static, test_missing_builder,
          test_crate_404_is_a_download_failure, test_stale_lock_is_retried_without_locked,
          test_features_retry_with_default_and_keeps_locked, test_all_features_only_fails_and_says_so,
          test_sigint_stops_the_build_and_its_children, test_library_only_crate_has_no_executables,
          test_more_reasons_from_real_builds])
