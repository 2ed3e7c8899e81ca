"""Why: at 40,000 crates most builds fail, and a failure is only useful with the right reason, the log,
and nothing left behind (no runaway build script, no unverified bytes unpacked). Each test builds a
fixture crate from tests/fixtures/crates through the loopback sparse index and checks result.json's
reason, the exit code, the log it names, and what was (not) left on disk."""
import atexit
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import buildenv
from buildenv import CRATE_FIXTURES, Registry, build_env, cargo_home, check, load_result
from harness import SkipTest, main, run_forge

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


def build(tmp, crate, *extra, env_extra=None, timeout=TIMEOUT):
    """`forge build <crate>` for the host with rustup's stable cargo, one feature attempt."""
    buildenv.require_cargo("stable")
    reg, home = shared()
    env = build_env(tmp, home, **(env_extra or {}))
    args = ["build", crate, "--target", HOST_TRIPLE, "--builder", "cargo", "--toolchain", "stable",
            "--index-url", reg.index_url, "--out", tmp / "out", "--offline", "--features", "default", *extra]
    return run_forge(*args, cwd=tmp, env=env, timeout=timeout)


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
    r = build(tmp, "fx-sleep", "--timeout", "5s", env_extra={key: value}, timeout=300)
    elapsed = time.monotonic() - start
    res, _, _ = failed(tmp, r, "fx-sleep", "timeout")
    check(res["spurious"] is True, "a timeout is spurious", r)
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
    """fx-dynamic asks for libz as a dylib; with +crt-static the linker may still make it static (libz.a
    present). Appending -crt-static through --rustflags makes the result dynamically linked for sure."""
    reg, _ = shared()
    need(reg, "fx-dynamic")
    r = build(tmp, "fx-dynamic", "--rustflags", "-C target-feature=-crt-static")
    res, d, _ = failed(tmp, r, "fx-dynamic", "not-static", executables=True)
    check([(e["name"], e["static"]) for e in res["executables"]] == [("fx-dynamic", False)],
          f"executables lists the dynamic one as not static: {res['executables']}", r)
    check(not (d / "fx-dynamic.json").exists(), "no soar record for a dynamic executable", r)
    kept = [p for p in (tmp / "out").rglob("fx-dynamic") if p.is_file()]
    check(kept, f"the dynamic executable is kept for inspection somewhere under out: none in {tmp / 'out'}", r)
    info = buildenv.elf_info(kept[0])
    check(info["interp"] is not None or info["needed"], f"the kept file really is dynamic: {info}", r)


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


if __name__ == "__main__":
    main([test_missing_system_library, test_timeout_kills_the_whole_build, test_wrong_checksum_unpacks_nothing,
          test_compile_error_with_codes, test_link_error, test_dynamic_binary_is_not_static, test_missing_builder,
          test_crate_404_is_a_download_failure])
