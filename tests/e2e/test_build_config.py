"""Why: in CI every `forge build` setting comes from forge.toml's [build] table, and a setting that is
silently ignored there ships wrong binaries or metadata. A stand-in cargo (a process-boundary double: it
records its argv and environment, then drops a real static executable, /sbin/ldconfig, where cargo would)
shows what each setting did; the command line must win over the file. Real cargo builds are in
test_build_real.py and test_build_failures.py."""
import json
import sys
import time
from pathlib import Path

import buildenv
from buildenv import Registry, build_env, cargo_home, check, load_result
from harness import SkipTest, expect_error, load_json, main, run_forge

CRATE, V = "fx-ok", "0.1.0"
TRIPLE, HOST = "x86_64-unknown-linux-gnu", "x86_64-Linux"
STATIC_EXE = Path("/sbin/ldconfig")  # static-pie on Debian (libc-bin)

FAKE_CARGO = r'''#!__PYTHON__
import json, os, shutil, sys, time
from pathlib import Path
LOG = __LOG__
keep = ("RUSTFLAGS", "CARGO_TARGET_DIR", "OPENSSL_STATIC", "CARGO_TERM_COLOR")
rec = {"argv": sys.argv, "cwd": os.getcwd(),
       "env": {k: v for k, v in os.environ.items() if k in keep or k.startswith("CARGO_TARGET_")
               or k.startswith("CARGO_PROFILE_")}}
runs = json.load(open(LOG)) if os.path.exists(LOG) else []
runs.append(rec)
json.dump(runs, open(LOG, "w"), indent=1)
if os.environ.get("FAKE_CARGO_SLEEP"):
    time.sleep(float(os.environ["FAKE_CARGO_SLEEP"]))
args = sys.argv[1:]
target = args[args.index("--target") + 1]
if "--artifact-dir" in args:
    dest = Path(args[args.index("--artifact-dir") + 1])
else:
    dest = Path(os.environ["CARGO_TARGET_DIR"]) / target / "release"
dest.mkdir(parents=True, exist_ok=True)
shutil.copy(__EXE__, dest / "fx-ok")
if os.environ.get("FAKE_CARGO_MACHINE"):  # rewrite e_machine: an executable for another architecture
    with open(dest / "fx-ok", "r+b") as f:
        f.seek(18)
        f.write(int(os.environ["FAKE_CARGO_MACHINE"]).to_bytes(2, "little"))
print("    Finished `release` profile [optimized] target(s) in 0.01s")
'''


def setup(tmp):
    if not STATIC_EXE.is_file():
        raise SkipTest(f"{STATIC_EXE} missing")
    reg = Registry(tmp)
    reg.add_fixture(CRATE, V)
    log = tmp / "cargo-calls.json"
    fake = tmp / "bin" / "fake-cargo"
    fake.parent.mkdir()
    fake.write_text(FAKE_CARGO.replace("__PYTHON__", sys.executable).replace("__LOG__", repr(str(log)))
                    .replace("__EXE__", repr(str(STATIC_EXE))), encoding="utf-8")
    fake.chmod(0o755)
    env = build_env(tmp, cargo_home(tmp))
    return reg, fake, log, env


def toml_str(value):
    return json.dumps(str(value))


def write_config(tmp, reg, fake, **overrides):
    settings = {
        "target": [TRIPLE],
        "builder": "cargo",
        "toolchain": "stable",
        "cargo": str(fake),
        "cross": "/nonexistent/cross",
        "jobs": 2,
        "features": "default",
        "offline": True,
        # The fake cargo (this test's Python) is outside what the sandbox shows; the bwrap sandbox itself is
        # tested in test_build_sandbox.py. Setting it here shows that the table reaches --sandbox.
        "sandbox": "none",
        "sandbox_max_processes": 77,
        "linker": [f"{TRIPLE}=forge-test-linker"],
        "rustflags": "-C target-cpu=x86-64-v2",
        "out": str(tmp / "out-config"),
        "keep_build_dir": True,
        "build_dir": str(tmp / "builds"),
        "index_url": reg.index_url,
        "timeout": "10m",
        "grace": "2s",
        "log_cap": 100000,
        "max_crate_bytes": 10_000_000,
        "max_crate_entries": 1000,
        "max_crate_file_bytes": 1_000_000,
        "download_attempts": 2,
        "download_backoff": 0.1,
        "owner": "Acme",
        "repo_name": "acme-cargo",
        "registry": "registry.example",
        "oci_repository": "{registry}/{owner}/bins/{crate}/{exe}",
        "download_url": "https://dl.example/{owner}/{crate}/{exe}?tag={tag}",
        "build_log_url": "https://dl.example/{owner}/{crate}/{exe}.log?tag={tag}",
        "manifest_url": "https://dl.example/{owner}/{crate}/{exe}?tag={tag}&manifest",
        "maintainer": "Acme builders (https://acme.example)",
        "note": "Built by the forge config test",
    }
    settings.update(overrides)
    lines = ["[build]"]
    for key, value in settings.items():
        if value is None:
            continue
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            lines.append(f"{key} = {value}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(toml_str(v) for v in value)}]")
        else:
            lines.append(f"{key} = {toml_str(value)}")
    cfg = tmp / "forge.toml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


def test_every_build_option_from_the_build_table(tmp):
    reg, fake, log, env = setup(tmp)
    cfg = write_config(tmp, reg, fake)
    r = run_forge("--config", cfg, "build", CRATE, cwd=tmp, env=env, timeout=300)
    check(r.code == 0, "the build configured only by forge.toml succeeds", r)
    calls = load_json(log)
    # Between them, the host asks `cargo tree` what the default features link (docs/supply-chain.md).
    trees = [c for c in calls if c["argv"][2:3] == ["tree"]]
    check(len(trees) == 1 and "--all-features" not in trees[0]["argv"] and "--locked" in trees[0]["argv"],
          f"one cargo tree for the default features, held to the fetched lock: {trees}", r)
    calls = [c for c in calls if c not in trees]
    check(len(calls) == 2, f"two cargo calls, fetch then build: {calls}", r)
    check(calls[0]["argv"][1:] == ["+stable", "fetch", "--target", TRIPLE, "--offline"],
          f"first the host fetches the dependencies: {calls[0]['argv']}", r)
    call = calls[1]
    check(call["argv"][1:] == ["+stable", "build", "--target", TRIPLE, "--jobs", "2", "--release", "--verbose",
                               "--locked", "--offline"],
          f"toolchain, target, jobs, features=default (no --all-features), held to the fetched lock, offline: "
          f"{call['argv']}", r)
    e = call["env"]
    check(e["RUSTFLAGS"].endswith(" -C target-cpu=x86-64-v2") and "+crt-static" in e["RUSTFLAGS"],
          f"rustflags appended: {e['RUSTFLAGS']!r}", r)
    check(e.get("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER") == "forge-test-linker", f"linker: {e}", r)
    check(Path(e["CARGO_TARGET_DIR"]).is_relative_to(tmp / "builds"), f"build_dir: {e['CARGO_TARGET_DIR']}", r)
    check(Path(e["CARGO_TARGET_DIR"]).is_dir(), "keep_build_dir kept the build directory", r)

    res, d = load_result(tmp / "out-config", HOST, CRATE, V, r)
    check(res["status"] == "built" and res["feature_mode"] == "default", f"built, default features: {res}", r)
    check(res["sandbox"] == "none" and "--sandbox none" in res["sandbox_reason"],
          f"sandbox from the table: {res['sandbox']} ({res['sandbox_reason']})", r)
    check(res["fetch_argv"] == calls[0]["argv"][0:1] + ["+stable", "fetch", "--target", TRIPLE, "--offline"],
          f"fetch_argv: {res['fetch_argv']}", r)
    rec = load_json(d / f"{CRATE}.json")
    tag = f"{V}-{HOST}"
    check(rec["pkg_id"] == "acme-cargo.fx-ok.stable", f"repo_name -> pkg_id: {rec['pkg_id']}", r)
    check(rec["ghcr_pkg"] == f"registry.example/acme/bins/fx-ok/fx-ok:{tag}",
          f"registry, owner (lowercased), oci_repository: {rec['ghcr_pkg']}", r)
    check(rec["download_url"] == f"https://dl.example/acme/fx-ok/fx-ok?tag={tag}", f"download_url: {rec}", r)
    check(rec["build_log"] == f"https://dl.example/acme/fx-ok/fx-ok.log?tag={tag}", f"build_log: {rec}", r)
    check(rec["manifest_url"] == f"https://dl.example/acme/fx-ok/fx-ok?tag={tag}&manifest", f"manifest: {rec}", r)
    check(rec["maintainer"] == ["Acme builders (https://acme.example)"], f"maintainer: {rec['maintainer']}", r)
    check(rec["note"] == ["Built by the forge config test"], f"note: {rec['note']}", r)


def test_command_line_wins_over_the_build_table(tmp):
    reg, fake, log, env = setup(tmp)
    cfg = write_config(tmp, reg, fake, keep_build_dir=False)
    r = run_forge("--config", cfg, "build", CRATE, "--out", tmp / "out-cli", "--jobs", "5", "--features", "all",
                  "--repo-name", "cli-repo", cwd=tmp, env=env, timeout=300)
    check(r.code == 0, "build succeeds", r)
    argv = load_json(log)[-1]["argv"]
    check(argv[argv.index("--jobs") + 1] == "5" and "--all-features" in argv, f"--jobs/--features win: {argv}", r)
    check(not (tmp / "out-config").exists(), "the config's out is not used", r)
    res, d = load_result(tmp / "out-cli", HOST, CRATE, V, r)
    check(res["feature_mode"] == "all", f"feature mode all: {res['feature_mode']}", r)
    check(load_json(d / f"{CRATE}.json")["pkg_id"] == "cli-repo.fx-ok.stable", "--repo-name wins", r)
    check(not [p for p in (tmp / "builds").iterdir()] if (tmp / "builds").exists() else True,
          "keep_build_dir = false: the build directory is removed", r)


def test_timeout_and_grace_from_the_build_table(tmp):
    reg, fake, log, env = setup(tmp)
    cfg = write_config(tmp, reg, fake, timeout="2s", grace="1s")
    start = time.monotonic()
    r = run_forge("--config", cfg, "build", CRATE, cwd=tmp, env=dict(env, FAKE_CARGO_SLEEP="120"), timeout=300)
    elapsed = time.monotonic() - start
    check(r.code == 8, "a timed-out build fails with 8", r)
    res, _ = load_result(tmp / "out-config", HOST, CRATE, V, r)
    check(res["reason"] == "timeout" and res["spurious"] is True, f"reason timeout: {res}", r)
    check(elapsed < 100, f"the 2 s timeout from forge.toml applied (took {elapsed:.0f} s of the fake's 120 s)", r)


def test_queue_and_crate_url_from_the_build_table(tmp):
    reg, fake, log, env = setup(tmp)
    queue = buildenv.write_queue(tmp / "queue.json", [{"name": CRATE, "version": V,
                                                        "checksum": reg.checksums[(CRATE, V)]}])
    cfg = write_config(tmp, reg, fake, queue=str(queue), crate_url=reg.crate_url_template(),
                       index_url="http://127.0.0.1:9/")
    reg.srv.clear_log()
    r = run_forge("--config", cfg, "build", CRATE, cwd=tmp, env=env, timeout=300)
    check(r.code == 0, "queue + crate_url from the config: no index needed", r)
    check(reg.srv.requests(reg.crate_path(CRATE, V)), "the .crate came from crate_url", r)


def test_bad_values_in_the_build_table(tmp):
    reg, fake, log, env = setup(tmp)
    for key, value, fragment in (("builder", "docker", "builder"), ("features", "some", "features"),
                                 ("timeout", "soon", "soon"), ("target", ["sparc"], "sparc"),
                                 ("linker", ["nonsense"], "TRIPLE=PROGRAM")):
        cfg = write_config(tmp, reg, fake, **{key: value})
        expect_error(run_forge("--config", cfg, "build", CRATE, cwd=tmp, env=env), 2, fragment)
    cfg = write_config(tmp, reg, fake, no_such_setting="x")
    expect_error(run_forge("--config", cfg, "build", CRATE, cwd=tmp, env=env), 2, "unknown setting", "no-such-setting")


def test_executable_for_the_wrong_machine_is_refused(tmp):
    reg, fake, log, env = setup(tmp)
    cfg = write_config(tmp, reg, fake)
    r = run_forge("--config", cfg, "build", CRATE, cwd=tmp, env=dict(env, FAKE_CARGO_MACHINE="183"), timeout=300)
    check(r.code == 8, "an aarch64 executable from an x86_64 build fails the target", r)
    res, d = load_result(tmp / "out-config", HOST, CRATE, V, r)
    check(res["status"] == "failed" and "aarch64" in res["details"] and TRIPLE in res["details"],
          f"details name both machines: {res['reason']} {res['details']!r}", r)
    check(not (d / f"{CRATE}.json").exists() and not (d / CRATE).exists(), "nothing is packaged", r)


if __name__ == "__main__":
    main([test_every_build_option_from_the_build_table, test_command_line_wins_over_the_build_table,
          test_timeout_and_grace_from_the_build_table, test_queue_and_crate_url_from_the_build_table,
          test_bad_values_in_the_build_table, test_executable_for_the_wrong_machine_is_refused])
