"""Why: `forge build` runs strangers' build scripts; the bwrap sandbox is only worth its claims if hostile
crates really fail against it. Each test builds a crate from tests/fixtures/crates/hostile-* (its
hostile.txt written here with this test's paths, ports and secrets) through the loopback index with
`--sandbox bwrap`, and checks that it was blocked, that result.json says why, and that the host saw
nothing: no secret in any output, no connection on the listener, no file outside the build directory, no
process left, a capped log and bounded disk use. The network and write tests also run the crate with
`--sandbox none` to show that they can fail. Hand-made .crate files with `../` entries and escaping
symlinks must be refused before anything runs.

Fork-bomb safety: the bomb only runs with --sandbox bwrap (forge refuses rather than falling back), a
process limit of 48, a timeout, and its own cap of 400 children."""
import gzip
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import uuid
from pathlib import Path

import buildenv
from buildenv import CRATE_FIXTURES, Registry, build_env, cargo_home, check, load_result
from harness import SkipTest, expect_error, main, run_forge
from runenv import RunEnv, procs_with_env

HOST_TRIPLE, HOST = "x86_64-unknown-linux-gnu", "x86_64-Linux"
V = "0.1.0"
TIMEOUT = 900


# -- helpers -----------------------------------------------------------------------------------------------

def require_sandbox(tmp):
    """forge's own verdict (forge doctor), cross-checked: the tests skip only when bwrap itself cannot run."""
    r = run_forge("doctor", "--json", "--target", HOST_TRIPLE, cwd=tmp, timeout=300)
    sandbox = json.loads(r.out)["sandbox"]
    if sandbox["works"]:
        return sandbox
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SkipTest("bwrap is not installed (scripts/deps.sh test installs bubblewrap)")
    plain = subprocess.run([bwrap, "--unshare-net", "--unshare-pid", "--ro-bind", "/", "/", "true"],
                           capture_output=True, text=True)
    check(plain.returncode != 0, f"bwrap runs here, but forge says its sandbox does not: {sandbox['why']}")
    raise SkipTest(f"bwrap cannot create namespaces here: {plain.stderr.strip()[:200]}")


class Hostile:
    """One hostile fixture crate, with hostile.txt, served by its own loopback registry."""

    def __init__(self, tmp, name, conf=()):
        buildenv.require_cargo("stable")
        self.tmp, self.name = Path(tmp), name
        self.src = self.tmp / "src" / name
        shutil.copytree(CRATE_FIXTURES / name, self.src)
        self.set_conf(conf)
        self.reg = Registry(self.tmp)
        self.cargo_home = cargo_home(self.tmp)
        self.home = self.tmp / "home"
        self.home.mkdir(exist_ok=True)
        self.builds = self.tmp / "builds"
        self.published = False

    def set_conf(self, lines):
        (self.src / "hostile.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

    def build(self, *extra, env_extra=None, timeout=TIMEOUT):
        if not self.published:
            self.reg.add(self.name, V, self.src)
            self.published = True
        env = build_env(self.tmp, self.cargo_home, HOME=self.home, **(env_extra or {}))
        r = run_forge("build", self.name, "--target", HOST_TRIPLE, "--builder", "cargo", "--toolchain", "stable",
                      "--index-url", self.reg.index_url, "--out", self.tmp / "out", "--offline", "--features",
                      "default", "--build-dir", self.builds, *extra, cwd=self.tmp, env=env, timeout=timeout)
        res, d = load_result(self.tmp / "out", HOST, self.name, V, r)
        buildenv.check_result_shape(res, r)
        return r, res, buildenv.check_log(res, d, r)

    def stop(self):
        self.reg.stop()


def sandboxed(r, res, reason):
    """A build that the sandbox made fail, with `reason`."""
    check(res["sandbox"] == "bwrap", f"ran in bwrap: {res['sandbox']} ({res['sandbox_reason']})", r)
    check(r.code == 8 and res["status"] == "failed", f"failed (exit 8): {res['status']}", r)
    check(res["reason"] == reason, f"reason {res['reason']!r}, expected {reason!r}: {res['details']!r}", r)


def build_uid(res):
    m = re.search(r"uid (\d+)", res["sandbox_reason"])
    return int(m.group(1)) if m else None


def procs_of_uid(uid):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        m = re.search(r"^Uid:\s+(\d+)", status, re.M)
        if m and int(m.group(1)) == uid:
            found.append(pid)
    return found


def no_process_left(res, r, marker=None):
    time.sleep(0.5)
    uid = build_uid(res)
    if uid is not None:
        check(not procs_of_uid(uid), f"processes of the build's uid {uid} still alive: {procs_of_uid(uid)}", r)
    if marker:
        left = procs_with_env("FORGE_E2E_MARKER=" + marker)
        check(not left, f"processes of the build still alive: {left}", r)


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.done = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(4096))
            except OSError:
                self.received.append(b"")
            conn.close()

    def stop(self):
        self.done = True
        self.thread.join(5)
        self.sock.close()


def crate_bytes(entries):
    """A gzip tar built entry by entry: (name, "file", bytes) | (name, "dir", None) | (name, "symlink", target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if kind == "file":
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
            elif kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.type, info.linkname = tarfile.SYMTYPE, data
                tar.addfile(info)
    return gzip.compress(buf.getvalue(), mtime=0)


def minimal_crate(name):
    top = f"{name}-{V}"
    manifest = f'[package]\nname = "{name}"\nversion = "{V}"\nedition = "2021"\n'.encode()
    return top, [(top, "dir", None), (f"{top}/Cargo.toml", "file", manifest), (f"{top}/src", "dir", None),
                 (f"{top}/src/main.rs", "file", b"fn main() {}\n")]


# -- tests -----------------------------------------------------------------------------------------------

def test_secrets_in_home_credentials_and_environment_stay_out(tmp):
    require_sandbox(tmp)
    h = Hostile(tmp, "hostile-home")
    secret = {k: f"forge-secret-{k}-{uuid.uuid4().hex}" for k in
              ("home", "cred", "other", "github", "forge", "cargo", "planted")}
    (h.home / ".forge-secret").write_text(secret["home"] + "\n")
    (h.cargo_home / "credentials.toml").write_text(f'[registry]\ntoken = "{secret["cred"]}"\n')
    reads = [h.home / ".forge-secret", h.cargo_home / "credentials.toml"]
    if os.geteuid() == 0:
        # Another user's private file where the build can see it (the cargo cache): the build's uid cannot
        # read it.
        other = h.cargo_home / "registry" / "other-user-secret"
        other.parent.mkdir()
        other.write_text(secret["other"] + "\n")
        os.chown(other, 4321, 4321)
        os.chmod(other, 0o600)
        reads.append(other)
    h.set_conf([f"read={p}" for p in reads])
    env = {"GITHUB_TOKEN": secret["github"], "FORGE_REGISTRY_TOKEN": secret["forge"],
           "CARGO_REGISTRY_TOKEN": secret["cargo"], "FORGE_E2E_PLANTED": secret["planted"]}
    try:
        r, res, log = h.build("--sandbox", "bwrap", env_extra=env)
    finally:
        h.stop()
    sandboxed(r, res, "build-script")
    check(f"none of the {len(reads) + 1} secrets could be read" in res["details"], f"details: {res['details']}", r)
    everything = "\n".join([log, r.out, r.err, json.dumps(res)])
    for key, value in secret.items():
        check(value not in everything, f"the {key} secret reached the log or forge's output", r)
    seen = dict(line.split("hostile-home: env ", 1)[1].split("=", 1) for line in log.splitlines()
                if "hostile-home: env " in line and "=" in line.split("hostile-home: env ", 1)[1])
    check("PATH" in seen and "CARGO_MANIFEST_DIR" in seen, f"the build script ran and listed its environment: {sorted(seen)}", r)
    for name in env:
        check(name not in seen, f"{name} was passed into the sandbox: {sorted(seen)}", r)
    check(Path(seen.get("HOME", "/")).is_relative_to(h.builds), f"HOME is the build's own: {seen.get('HOME')}", r)
    for p in reads:
        check(f"cannot read {p}" in log, f"the read of {p} failed", r)
    check("hidden from the build: " + str(h.cargo_home / "credentials.toml") in log,
          "the log says the credentials were hidden", r)


def test_network_is_unreachable(tmp):
    require_sandbox(tmp)
    listener = Listener()
    h = Hostile(tmp, "hostile-net", [f"connect=127.0.0.1:{listener.port}"])
    try:
        r, res, log = h.build("--sandbox", "bwrap")
        sandboxed(r, res, "network")
        check(res["spurious"] is False, "no network in the sandbox is not worth a retry", r)
        check(res["details"].startswith("no network in the sandbox: "), f"details: {res['details']}", r)
        check(not listener.received, f"the listener got {len(listener.received)} connection(s)", r)
        check(f"cannot connect to 127.0.0.1:{listener.port}" in log, "the log holds the build script's failure", r)
        no_process_left(res, r)

        # Without the sandbox the same crate phones home: the check above can fail.
        r, res, _ = h.build("--sandbox", "none")
        check(r.code == 0 and res["sandbox"] == "none", f"unsandboxed, it builds: {res['reason']}", r)
        check(listener.received and listener.received[0].startswith(b"hostile-net: exfiltrated"),
              f"unsandboxed, the listener got the data: {listener.received}", r)
    finally:
        listener.stop()
        h.stop()


def test_writes_outside_the_build_dir_are_refused(tmp):
    require_sandbox(tmp)
    h = Hostile(tmp, "hostile-write")
    outside = tmp / "outside"
    outside.mkdir()
    (h.cargo_home / "registry").mkdir()
    targets = [outside / "pwned", h.home / "pwned", h.cargo_home / "pwned", h.cargo_home / "registry" / "pwned"]
    private = Path("/tmp") / f"forge-hostile-write-{uuid.uuid4().hex}"
    h.set_conf([f"write={p}" for p in targets] + [f"private={private}"])
    try:
        r, res, log = h.build("--sandbox", "bwrap")
        sandboxed(r, res, "build-script")
        check("every write outside the build directory was refused" in res["details"], f"{res['details']}", r)
        for p in targets + [private]:
            check(not p.exists(), f"{p} was created on the host", r)
        check("Read-only file system" in log, "the cargo cache is read-only", r)
        check(f"hostile-write: wrote {private}" in log, "the sandbox's own /tmp is writable (and private)", r)

        r, res, _ = h.build("--sandbox", "none")
        check(r.code == 0 and (outside / "pwned").exists(), "unsandboxed, the writes land: the check can fail", r)
    finally:
        h.stop()
        private.unlink(missing_ok=True)


def test_fork_bomb_is_contained(tmp):
    require_sandbox(tmp)
    marker = uuid.uuid4().hex
    h = Hostile(tmp, "hostile-fork", ["cap=400"])
    try:
        # Never without the sandbox: --sandbox bwrap fails rather than building unsandboxed.
        r, res, log = h.build("--sandbox", "bwrap", "--sandbox-max-processes", "48", "--timeout", "5m", "--jobs",
                              "1", "--sandbox-env", "FORGE_E2E_MARKER", env_extra={"FORGE_E2E_MARKER": marker})
    finally:
        h.stop()
    sandboxed(r, res, "build-script")
    m = re.search(r"fork failed after (\d+) children", res["details"])
    check(m is not None, f"the bomb hit the limit: {res['details']}", r)
    check(int(m.group(1)) < 48, f"{m.group(1)} children: fewer than the limit of 48", r)
    check("Resource temporarily unavailable" in res["details"], "fork failed with EAGAIN", r)
    no_process_left(res, r, marker)


def test_log_flood_through_rustc_is_capped_and_stopped(tmp):
    """A proc macro floods rustc's stderr: cargo streams it into forge's log (capped, drained) and copies it
    to a file of its own, which the sandbox's file-size limit stops."""
    require_sandbox(tmp)
    h = Hostile(tmp, "hostile-log-flood", ["mode=rustc", "max_mib=256"])
    cap, max_file = 1 << 20, 32 << 20
    try:
        r, res, log = h.build("--sandbox", "bwrap", "--log-cap", str(cap), "--sandbox-max-file-size", str(max_file),
                              "--keep-build-dir", "--timeout", "10m")
    finally:
        h.stop()
    sandboxed(r, res, "no-space")
    check(res["spurious"] is False, "a file-size limit is hit again on retry: not spurious", r)
    check("--sandbox-max-file-size" in res["details"], f"details name the limit: {res['details']}", r)
    check(len(log.encode()) < cap + (64 << 10), f"build.log is {len(log.encode())} bytes: capped at {cap}", r)
    m = re.search(r"\[forge: (\d+) bytes of output omitted\]", log)
    check(m is not None and int(m.group(1)) > 8 << 20, "forge drained far more than it kept", r)
    check("hostile-log-flood: yyyy" in log, "the flood's head is in the log", r)
    biggest = max((p.stat().st_size for p in h.builds.rglob("*") if p.is_file() and not p.is_symlink()), default=0)
    check(biggest <= max_file, f"no file in the build directory beyond the limit: {biggest} bytes", r)
    no_process_left(res, r)


def test_build_script_output_flood_hits_the_memory_limit(tmp):
    """A build script's stdout is kept by cargo in memory: the sandbox's per-process memory limit ends it."""
    require_sandbox(tmp)
    h = Hostile(tmp, "hostile-log-flood", ["mode=stdout", "max_mib=1024"])
    cap = 1 << 20
    args = ("--sandbox", "bwrap", "--log-cap", str(cap), "--sandbox-max-memory", str(768 << 20),
            "--sandbox-max-file-size", str(32 << 20), "--timeout", "10m")
    try:
        r, res, log = h.build(*args)
        if res["reason"] == "build-script":
            # Seen once in a cold CI-style run under load (not reproduced since): cargo outlived the flood
            # and reported the build script. The log says what ended it; one more try must hit the limit.
            tail = "\n".join(log.splitlines()[-25:])
            print(f"warning: the flood ended as build-script, not out-of-memory; log tail:\n{tail}", flush=True)
            r, res, log = h.build(*args)
    finally:
        h.stop()
    sandboxed(r, res, "out-of-memory")
    check("memory allocation of" in res["details"], f"cargo's allocation failed: {res['details']}", r)
    check(len(log.encode()) < cap + (64 << 10), f"build.log is {len(log.encode())} bytes: capped at {cap}", r)
    no_process_left(res, r)


def test_timeout_ends_the_whole_sandbox(tmp):
    require_sandbox(tmp)
    marker = uuid.uuid4().hex
    h = Hostile(tmp, "fx-sleep")
    seen = []

    def watch():
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not seen:
            seen.extend(p for p in procs_with_env("FORGE_E2E_MARKER=" + marker) if "build-script-build" in p)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        r, res, _ = h.build("--sandbox", "bwrap", "--timeout", "20s", "--grace", "2s", "--sandbox-env",
                            "FORGE_E2E_MARKER", env_extra={"FORGE_E2E_MARKER": marker})
    finally:
        h.stop()
    sandboxed(r, res, "timeout")
    watcher.join(1)
    check(seen, "the build script ran (seen by its variable) before the timeout", r)
    no_process_left(res, r, marker)


def test_crate_with_dotdot_entry_is_refused_before_anything_runs(tmp):
    name = "hostile-dotdot"
    evil = f"forge-evil-{uuid.uuid4().hex}.txt"
    top, entries = minimal_crate(name)
    entries.append((f"{top}/../../../../{evil}", "file", b"escaped\n"))
    refused(tmp, name, entries, evil, "'..'")


def test_crate_with_escaping_symlink_is_refused_before_anything_runs(tmp):
    name = "hostile-symlink"
    evil = f"forge-evil-{uuid.uuid4().hex}.txt"
    top, entries = minimal_crate(name)
    entries += [(f"{top}/escape", "symlink", "../../../../../../../../../../tmp"),
                (f"{top}/escape/{evil}", "file", b"escaped\n")]
    refused(tmp, name, entries, evil, "leaves the crate directory")
    top, entries = minimal_crate(name + "-abs")
    entries += [(f"{top}/etc", "symlink", "/etc"), (f"{top}/etc/{evil}", "file", b"escaped\n")]
    refused(tmp / "abs", name + "-abs", entries, evil, "is absolute")


def refused(tmp, name, entries, evil, why):
    buildenv.require_cargo("stable")
    tmp.mkdir(exist_ok=True)
    reg = Registry(tmp)
    try:
        crate = tmp / f"{name}-{V}.crate"
        crate.write_bytes(crate_bytes(entries))
        reg.publish(name, V, crate)
        r = run_forge("build", name, "--target", HOST_TRIPLE, "--builder", "cargo", "--toolchain", "stable",
                      "--index-url", reg.index_url, "--out", tmp / "out", "--offline", "--build-dir", tmp / "builds",
                      cwd=tmp, env=build_env(tmp, cargo_home(tmp)), timeout=TIMEOUT)
    finally:
        reg.stop()
    res, d = load_result(tmp / "out", HOST, name, V, r)
    check(r.code == 8 and res["reason"] == "download", f"refused as an invalid archive: {res['reason']}", r)
    check("refusing entry" in res["details"] and why in res["details"], f"details: {res['details']}", r)
    log = buildenv.check_log(res, d, r)
    check("forge: fetch " not in log and "forge: attempt " not in log, "nothing ran: no fetch, no build", r)
    check(res["fetch_argv"] is None and res["argv"] == [], f"no command in result.json: {res}", r)
    escaped = [str(p) for p in Path(tmp).rglob(evil)] + [str(p) for p in (Path("/tmp") / evil,) if p.exists()]
    check(not escaped, f"the escaping entry was written: {escaped}", r)


def test_fallback_choice_and_doctor(tmp):
    """auto without a working bwrap builds unsandboxed and says why; an explicit bwrap refuses to; doctor
    reports both."""
    require_sandbox(tmp)
    r = run_forge("doctor", "--json", "--target", HOST_TRIPLE, cwd=tmp, timeout=300)
    sandbox = json.loads(r.out)["sandbox"]
    check(sandbox["works"] and sandbox["bwrap"] and "works here" in sandbox["why"], f"doctor: {sandbox}", r)
    check(sandbox["uid"] > 0 if os.geteuid() == 0 else sandbox["uid"] == 0, f"uid: {sandbox}", r)
    r = run_forge("doctor", "--bwrap", "/nonexistent/bwrap", "--target", HOST_TRIPLE, cwd=tmp, timeout=300)
    check("bwrap: /nonexistent/bwrap is not installed" in r.out and "builds without a sandbox" in r.out,
          "doctor says why not", r)

    h = Hostile(tmp, "fx-ok")
    try:
        r, res, log = h.build("--bwrap", "/nonexistent/bwrap")
        check(r.code == 0 and res["sandbox"] == "none", f"auto falls back to none: {res['sandbox']}", r)
        check("bwrap cannot sandbox here: /nonexistent/bwrap is not installed" in res["sandbox_reason"],
              f"and says why: {res['sandbox_reason']}", r)
        check("forge: sandbox: none (bwrap cannot sandbox here" in log, "the log says it too", r)
        env = build_env(tmp, h.cargo_home)
        r = run_forge("build", "fx-ok", "--target", HOST_TRIPLE, "--builder", "cargo", "--toolchain", "stable",
                      "--index-url", h.reg.index_url, "--out", tmp / "out2", "--offline", "--sandbox", "bwrap",
                      "--bwrap", "/nonexistent/bwrap", cwd=tmp, env=env, timeout=TIMEOUT)
        expect_error(r, 2, "--sandbox bwrap", "/nonexistent/bwrap is not installed")
        check(not (tmp / "out2").exists(), "nothing was built unsandboxed", r)
    finally:
        h.stop()


def test_forge_run_passes_the_sandbox_to_its_builds(tmp):
    require_sandbox(tmp)
    env = RunEnv(tmp, ["fx-ok"], sandbox="bwrap")
    try:
        out = tmp / "run-out"
        r = run_forge(*env.run_args(out), "--sandbox-max-processes", "512", cwd=tmp, env=env.env, timeout=1200)
        check(r.code == 0, "the run finishes", r)
        res, _ = load_result(out, HOST, "fx-ok", V, r)
        check(res["status"] == "built" and res["sandbox"] == "bwrap" and "at most 512 processes" in
              res["sandbox_reason"], f"the options after -- reached forge build: {res['sandbox_reason']}", r)
    finally:
        env.reg.stop()


if __name__ == "__main__":
    main([test_secrets_in_home_credentials_and_environment_stay_out, test_network_is_unreachable,
          test_writes_outside_the_build_dir_are_refused, test_fork_bomb_is_contained,
          test_log_flood_through_rustc_is_capped_and_stopped, test_build_script_output_flood_hits_the_memory_limit,
          test_timeout_ends_the_whole_sandbox, test_crate_with_dotdot_entry_is_refused_before_anything_runs,
          test_crate_with_escaping_symlink_is_refused_before_anything_runs, test_fallback_choice_and_doctor,
          test_forge_run_passes_the_sandbox_to_its_builds])
