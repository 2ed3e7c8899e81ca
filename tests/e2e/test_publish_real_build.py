"""Why: the crafted out dirs of the other publish suites could drift from what `forge build` really
writes. Here a fixture crate with two executables (tests/fixtures/crates/fx-ok) is built for the host by
`forge build` (rustup's stable cargo, offline, through a loopback sparse index), the out dir is published
unchanged to a real registry, and the executables pulled back by digest are checked: same bytes, same
BLAKE3 as result.json and the bsum annotation, statically linked, and they run."""
import stat
import subprocess

import buildenv
from buildenv import Registry, build_env, cargo_home, check, load_result
from harness import main, run_forge
from publishenv import check_published, publish
from registry import RegistryServer, pull_blob, registry_program

CRATE, V = "fx-ok", "0.1.0"
HOST_TRIPLE, HOST = "x86_64-unknown-linux-gnu", "x86_64-Linux"
EXES = ("fx-ok", "fx-ok-helper")


def test_publish_forge_build_output(tmp):
    registry_program()  # skip early when docker-registry is missing
    buildenv.require_cargo("stable")
    crates = Registry(tmp)
    try:
        crates.add_fixture(CRATE, V)
        env = build_env(tmp, cargo_home(tmp))
        out = tmp / "out"
        r = run_forge("build", CRATE, "--target", HOST_TRIPLE, "--builder", "cargo", "--toolchain", "stable",
                      "--index-url", crates.index_url, "--out", out, "--offline", "--features", "default",
                      cwd=tmp, env=env, timeout=1500)
        check(r.code == 0, "forge build fx-ok", r)
    finally:
        crates.stop()
    res, d = load_result(out, HOST, CRATE, V, r)
    check(sorted(e["name"] for e in res["executables"]) == sorted(EXES), f"two executables: {res['executables']}", r)

    reg = RegistryServer(tmp).start()
    try:
        r = publish(tmp, out, reg.host)
        check(r.code == 0, "publish the build output", r)
        for exe in EXES:
            m, _ = check_published(reg.url, d, exe, r=r)
            layer = [l for l in m["layers"] if l["annotations"]["org.opencontainers.image.title"] == exe][0]
            pulled = tmp / "pulled" / exe
            pulled.parent.mkdir(exist_ok=True)
            pulled.write_bytes(pull_blob(reg.url, f"forge-test/{CRATE}/stable/{exe}", layer["digest"]))
            pulled.chmod(pulled.stat().st_mode | stat.S_IXUSR)
            buildenv.check_static(pulled, buildenv.EM_X86_64)
            p = subprocess.run([str(pulled)], capture_output=True, text=True, timeout=60)
            check(p.returncode == 0 and p.stdout.strip() == exe, f"the pulled {exe} runs: {p.stdout!r}", r)
    finally:
        reg.stop()


if __name__ == "__main__":
    main([test_publish_forge_build_output])
