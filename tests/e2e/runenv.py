"""Why: the `forge run` / `matrix` / `merge` end-to-end tests share one setup: a loopback registry holding the
fixture crates (and hexyl when asked), a queue.json naming them with their real checksums, a CARGO_HOME and an
environment confined to the test's temp dir, and the `forge build` arguments every child needs to build
offline for the host with rustup's stable cargo.

    RunEnv(tmp, crates, hexyl=False, sandbox=None)   .queue .env .build_args() .run(*args) .out(name)
    journal(path) -> list of dicts      the journal's valid lines
    procs_with_env(marker)              processes whose environment holds marker (leftover check)
"""
import json
import os
from pathlib import Path

import buildenv
from buildenv import HEXYL_SRC, Registry, build_env, cargo_home
from harness import SkipTest, run_forge

HOST_TRIPLE, HOST = "x86_64-unknown-linux-gnu", "x86_64-Linux"
FX_VERSION = "0.1.0"
HEXYL_VERSION = "0.8.0"


class RunEnv:
    def __init__(self, tmp, crates, hexyl=False, extra_env=None, sandbox=None):
        """`sandbox`: forge build's --sandbox for every job (None: forge's default, bwrap when it works)."""
        buildenv.require_cargo("stable")
        self.tmp = Path(tmp)
        self.reg = Registry(self.tmp)
        rows = []
        if hexyl:
            if not (HEXYL_SRC / "Cargo.toml").exists():
                raise SkipTest(f"{HEXYL_SRC} missing: apt-get install librust-hexyl-dev (scripts/test-deps.sh)")
            rows.append({"name": "hexyl", "version": HEXYL_VERSION,
                         "checksum": self.reg.add("hexyl", HEXYL_VERSION, HEXYL_SRC), "bin_names": ["hexyl"],
                         "description": "A command-line hex viewer", "license": "MIT/Apache-2.0"})
        for name in crates:
            rows.append({"name": name, "version": FX_VERSION, "checksum": self.reg.add_fixture(name, FX_VERSION),
                         "bin_names": [name], "description": f"fixture {name}", "license": "MIT"})
        self.crates = [r["name"] for r in rows]
        self.sandbox = sandbox
        self.queue = buildenv.write_queue(self.tmp / "queue.json", rows)
        self.env = build_env(self.tmp, cargo_home(self.tmp), **(extra_env or {}))
        for key in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            self.env.setdefault(key, "")

    def build_args(self):
        args = ["--builder", "cargo", "--toolchain", "stable", "--index-url", self.reg.index_url, "--crate-url",
                self.reg.crate_url_template(), "--offline", "--features", "default"]
        return args + (["--sandbox", self.sandbox] if self.sandbox else [])

    def run_args(self, out, *extra):
        defaults = [a for flag, value in (("--retry-backoff", "1s"), ("--grace", "2s")) if flag not in extra
                    for a in (flag, value)]
        return ["run", "--queue", self.queue, "--out", out, "--target", HOST_TRIPLE, *defaults, *extra, "--",
                *self.build_args()]

    def run(self, out, *extra, env=None, timeout=1200):
        full = dict(self.env)
        full.update(env or {})
        return run_forge(*self.run_args(out, *extra), cwd=self.tmp, env=full, timeout=timeout)

    def forge(self, *args, env=None, timeout=600):
        full = dict(self.env)
        full.update(env or {})
        return run_forge(*args, cwd=self.tmp, env=full, timeout=timeout)

    def stop(self):
        self.reg.stop()


def journal(path):
    """The journal's lines as dicts; a damaged line fails the test (forge writes whole lines)."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def job(entry):
    return f"{entry['crate']}@{entry['version']} {entry['target']}"


def procs_with_env(marker):
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


def children_of(pid):
    """Direct children of `pid` (from /proc/*/stat)."""
    kids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat", encoding="utf-8", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(p))
    return kids
