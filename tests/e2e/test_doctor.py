"""Why: `forge doctor` is what a maintainer runs before a first build and what a CI job can gate on (exit 9 =
nothing can build). These tests run the real binary against this machine's toolchains and against a PATH
made to contain nothing (or a stand-in cross with a container engine that answers), and check the verdict,
the reason `auto` gives, the JSON form and the exit code."""
import json
import os
import sys
from pathlib import Path

import buildenv
from harness import check, expect_error, main, run_forge

HOST_TRIPLE = "x86_64-unknown-linux-gnu"


def bare_env(tmp, bindir=None):
    """An environment in which forge finds only what `bindir` holds: no rustup, no cargo, no docker."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    path = ([str(bindir)] if bindir else []) + [str(tmp / "empty-bin")]
    (tmp / "empty-bin").mkdir(exist_ok=True)
    return {"PATH": ":".join(path), "HOME": str(home), "CARGO_HOME": str(home / ".cargo"),
            "RUSTUP_HOME": str(home / ".rustup"), "XDG_CACHE_HOME": str(tmp / "cache")}


def test_host_target_can_build_with_stable(tmp):
    buildenv.require_cargo("stable")
    env = buildenv.build_env(tmp, buildenv.cargo_home(tmp))
    r = run_forge("doctor", "--target", HOST_TRIPLE, "--toolchain", "stable", "--out", tmp / "out", env=env,
                  timeout=300)
    check(r.code == 0, "doctor exits 0 when the host target can build", r)
    for section in ("Toolchains", "Cargo", "Cross/containers", "Zig", "Linkers", "Disk", "Targets"):
        check(section in r.out, f"report has a {section} section", r)
    check(f"✓ {HOST_TRIPLE} (x86_64-Linux) with cargo" in r.out, "the host target is buildable with cargo", r)
    check("stable" in r.out and "cargo 1." in r.out, "names the stable toolchain and cargo's version", r)
    check("something can be built here" in r.out, "says something can build", r)


def test_json_report_plans_all_four_targets(tmp):
    buildenv.require_cargo("stable")
    env = buildenv.build_env(tmp, buildenv.cargo_home(tmp))
    r = run_forge("doctor", "--target", "all", "--target", HOST_TRIPLE, "--toolchain", "stable", "--json",
                  "--linker", "aarch64-unknown-linux-musl=forge-no-such-gcc", env=env, timeout=300)
    check(r.code == 0, "the host target can build, so exit 0", r)
    doc = json.loads(r.out)
    plans = {t["triple"]: t for t in doc["targets"]}
    check(list(plans) == ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl", "riscv64gc-unknown-linux-musl",
                          "loongarch64-unknown-linux-musl", HOST_TRIPLE], f"targets in order: {list(plans)}", r)
    check(plans["riscv64gc-unknown-linux-musl"]["host"] == "riscv64-Linux", "host triplet per target", r)
    check(plans[HOST_TRIPLE]["can_build"] is True and plans[HOST_TRIPLE]["why_not"] == "", "host can build", r)
    arm = plans["aarch64-unknown-linux-musl"]
    check(arm["can_build"] is False and "forge-no-such-gcc" in arm["why_not"],
          f"a configured but missing linker is named: {arm['why_not']!r}", r)
    check(doc["linkers"] == [{"triple": "aarch64-unknown-linux-musl", "program": "forge-no-such-gcc",
                              "found": False}], f"linkers: {doc['linkers']}", r)
    for t in plans.values():
        check(t["builder"] in ("cross", "zigbuild", "cargo") and t["reason"], f"builder and reason: {t}", r)
    check(doc["anything_can_build"] is True, "anything_can_build", r)
    check(isinstance(doc["free_bytes_out"], int) and doc["free_bytes_out"] > 0, "free disk is reported", r)
    check(any(t["name"] == "stable" for t in doc["toolchains"]), f"stable toolchain listed: {doc['toolchains']}", r)


def test_nothing_can_build_exits_9(tmp):
    env = bare_env(tmp)
    r = run_forge("doctor", "--cargo", "/nonexistent/cargo", "--out", tmp / "out", env=env, timeout=300)
    check(r.code == 9, "exit 9 when no target can build", r)
    check("nothing can be built here" in r.out, "says so", r)
    check("cargo program '/nonexistent/cargo' not found" in r.out, "names the missing cargo", r)
    check("cross is not installed" in r.out and "cargo-zigbuild is not installed" in r.out,
          "auto's reason for plain cargo", r)
    check(r.out.count("✗ ") >= 4 + 4, "every target and every missing tool is marked", r)
    # The report also goes out with --quiet when nothing can build: a silent exit 9 would explain nothing.
    q = run_forge("doctor", "-q", "--cargo", "/nonexistent/cargo", env=env, timeout=300)
    check(q.code == 9 and "nothing can be built here" in q.out, "quiet still explains exit 9", q)


def test_doctor_takes_the_build_settings_from_forge_toml(tmp):
    env = bare_env(tmp)
    conf = tmp / "forge.toml"
    conf.write_text('[build]\ncargo = "/nonexistent/build-cargo"\ntarget = ["x86_64"]\n')
    r = run_forge("--config", conf, "doctor", "--out", tmp / "out", env=env, timeout=300)
    check(r.code == 9 and "cargo program '/nonexistent/build-cargo' not found" in r.out,
          "[build] settings are what doctor judges", r)
    conf.write_text('[build]\ncargo = "/nonexistent/build-cargo"\n[doctor]\ncargo = "/nonexistent/doctor-cargo"\n')
    r = run_forge("--config", conf, "doctor", "--out", tmp / "out", env=env, timeout=300)
    check("'/nonexistent/doctor-cargo' not found" in r.out and "build-cargo" not in r.out,
          "[doctor] wins over [build]", r)
    r = run_forge("--config", conf, "doctor", "--cargo", "/nonexistent/cli-cargo", "--out", tmp / "out", env=env,
                  timeout=300)
    check("'/nonexistent/cli-cargo' not found" in r.out, "the command line wins over both", r)


def test_cross_with_an_answering_engine_can_build(tmp):
    bindir = tmp / "bin"
    bindir.mkdir()
    (bindir / "cross").write_text("#!/bin/sh\necho 'cross 0.2.5'\n")
    (bindir / "docker").write_text("#!/bin/sh\n[ \"$1\" = info ] && exit 0\nexit 1\n")
    for p in bindir.iterdir():
        p.chmod(0o755)
    r = run_forge("doctor", "--target", "aarch64", "--json", "--cargo", "/nonexistent/cargo",
                  env=bare_env(tmp, bindir), timeout=300)
    check(r.code == 0, "cross + an answering engine can build without any local cargo", r)
    doc = json.loads(r.out)
    check(doc["have_cross"] is True and doc["cross_version"] == "cross 0.2.5", f"cross found: {doc}", r)
    check(doc["container_engines"] == ["docker"], f"docker answered: {doc['container_engines']}", r)
    plan = doc["targets"][0]
    check(plan["builder"] == "cross" and "container engine answers" in plan["reason"], f"auto picks cross: {plan}", r)
    # The same machine with an engine that does not answer: auto falls back to cargo, which is missing.
    (bindir / "docker").write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    r = run_forge("doctor", "--target", "aarch64", "--cargo", "/nonexistent/cargo", env=bare_env(tmp, bindir),
                  timeout=300)
    check(r.code == 9, "without an engine nothing builds here", r)
    check("cross is installed but no container engine answers" in r.out, "and doctor says why", r)


def test_unknown_target_is_a_usage_error(tmp):
    expect_error(run_forge("doctor", "--target", "sparc"), 2, "unknown target 'sparc'")
    expect_error(run_forge("doctor", "--linker", "nonsense"), 2, "TRIPLE=PROGRAM")


if __name__ == "__main__":
    main([test_host_target_can_build_with_stable, test_json_report_plans_all_four_targets,
          test_doctor_takes_the_build_settings_from_forge_toml,
          test_nothing_can_build_exits_9, test_cross_with_an_answering_engine_can_build,
          test_unknown_target_is_a_usage_error])
