"""Why: the point of `forge build` is a real crate turned into a verified static executable with soar
metadata. These tests build hexyl 0.8.0 (Debian's copy of the real crates.io crate) offline through a
loopback sparse index: for the host with rustup's stable cargo (toolchains.md Recipe H), for aarch64 with
Debian's cargo and the cross gcc, run under qemu (Recipe A), and once with version and checksum taken from
a queue while the index is unreachable. Every produced file is checked by readers independent of forge
(ELF parsing here, b3sum, hashlib, soarcheck)."""
import atexit
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import buildenv
import supplycheck
from buildenv import DEBIAN_REGISTRY, HEXYL_SRC, Registry, build_env, cargo_home, check, load_result
from harness import SkipTest, load_json, main, run_forge

try:
    import soarcheck
except ImportError:  # written by another engineer; the field checks below still run
    soarcheck = None

CRATE, VERSION = "hexyl", "0.8.0"
TIMEOUT = 1500  # a cold hexyl build takes ~20 s on an idle machine, minutes on a loaded one

_shared = {}


def shared():
    """One registry and CARGO_HOME for the module (the registry is read-only for these tests)."""
    if not _shared:
        if not (HEXYL_SRC / "Cargo.toml").exists():
            raise SkipTest(f"{HEXYL_SRC} missing: apt-get install librust-hexyl-dev (scripts/test-deps.sh)")
        root = Path(tempfile.mkdtemp(prefix="forge-e2e-real-"))
        atexit.register(shutil.rmtree, root, True)
        reg = Registry(root)
        atexit.register(reg.stop)
        reg.add(CRATE, VERSION, HEXYL_SRC)
        _shared.update(root=root, reg=reg, home=cargo_home(root))
    return _shared["reg"], _shared["home"]


def check_built(tmp, r, out, triple, host, machine, builder="cargo", run=None):
    """Everything a successful build promises, for hexyl on one target."""
    check(r.code == 0, "forge build exits 0", r)
    res, d = load_result(out, host, CRATE, VERSION, r)
    buildenv.check_result_shape(res, r)
    check(res["status"] == "built" and res["reason"] is None, f"status built: {res['status']} {res['reason']}", r)
    check(res["crate"] == CRATE and res["version"] == VERSION, "crate/version in result.json", r)
    check(res["target"] == triple, f"target {res['target']!r} == {triple!r}", r)
    check(res["host"] == host, f"host {res['host']!r} == {host!r}", r)
    check(res["builder"] == builder, f"builder {res['builder']!r} == {builder!r}", r)
    check(res["spurious"] is False, "spurious false when built", r)
    check(res["argv"] and "build" in res["argv"] and triple in res["argv"], f"argv is the cargo call: {res['argv']}",
          r)
    buildenv.check_log(res, d, r)

    exe = d / CRATE
    check(exe.is_file(), f"{exe} exists", r)
    buildenv.check_static(exe, machine)
    data = exe.read_bytes()
    bsum = buildenv.blake3(exe)
    shasum = hashlib.sha256(data).hexdigest()

    check(len(res["executables"]) == 1, f"one executable: {res['executables']}", r)
    e = res["executables"][0]
    check(e.get("name") == CRATE, f"executables[0].name {e.get('name')!r}", r)
    check(e.get("size") == len(data), f"executables[0].size {e.get('size')!r} == {len(data)}", r)
    check(e.get("bsum") == bsum, f"executables[0].bsum {e.get('bsum')!r} == b3sum {bsum}", r)
    check(e.get("shasum") == shasum, f"executables[0].shasum {e.get('shasum')!r} == {shasum}", r)
    check(e.get("static") is True, f"executables[0].static {e.get('static')!r}", r)

    lines = (d / "CHECKSUM").read_text(encoding="utf-8").splitlines()
    check(f"{CRATE}:{bsum}" in lines, f"CHECKSUM has '{CRATE}:{bsum}': {lines}", r)
    check((d / "LICENSE").is_file() and (d / "LICENSE").stat().st_size > 0, "LICENSE non-empty", r)
    check((d / f"{CRATE}.version").is_file(), f"{CRATE}.version written", r)
    check(VERSION in (d / f"{CRATE}.version").read_text(encoding="utf-8"), f"{CRATE}.version names {VERSION}", r)
    check((d / f"{CRATE}.log").is_file(), f"{CRATE}.log written", r)

    rec = load_json(d / f"{CRATE}.json")
    if soarcheck is not None:
        problems = soarcheck.check_record(rec)
        check(not problems, f"{CRATE}.json violates soar rules: {problems}", r)
    check(rec.get("pkg_name") == CRATE and rec.get("pkg") == CRATE, f"pkg/pkg_name {rec.get('pkg_name')!r}", r)
    check(rec.get("pkg_family") == CRATE, f"pkg_family {rec.get('pkg_family')!r}", r)
    check(rec.get("version") == VERSION, f"record version {rec.get('version')!r}", r)
    check(rec.get("bsum") == bsum, f"record bsum {rec.get('bsum')!r} == {bsum}", r)
    check(rec.get("shasum") in (None, "", shasum), f"record shasum {rec.get('shasum')!r}", r)
    check(rec.get("size") == str(len(data)), f"record size {rec.get('size')!r} == '{len(data)}'", r)
    check(isinstance(rec.get("provides"), list) and CRATE in rec["provides"], f"provides {rec.get('provides')}", r)
    check(rec.get("host") in (None, host), f"record host {rec.get('host')!r}", r)

    if run is not None:
        p = subprocess.run([*run, str(exe), "--version"], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and VERSION in p.stdout, f"{exe} --version prints {VERSION}: {p.stdout!r} {p.stderr!r}")
    check_supply_chain(tmp, r, res, d, triple, rec)
    return res, d


def expected_linked(tmp, triple):
    """(name, version) of every crate hexyl links on `triple`, computed without forge or cargo tree: a lock
    file resolved by cargo in a copy of hexyl, walked through the Cargo.toml files (supplycheck)."""
    key = ("linked", triple)
    if key not in _shared:
        _, home = shared()
        src = Path(tmp) / "lockgen" / f"{CRATE}-{VERSION}"
        if not src.exists():
            shutil.copytree(HEXYL_SRC, src, ignore=shutil.ignore_patterns(".cargo-checksum.json"))
            p = subprocess.run([buildenv.find_cargo(), "+stable", "generate-lockfile", "--offline"], cwd=src,
                               capture_output=True, text=True, env=build_env(Path(tmp) / "lockgen", home),
                               timeout=300)
            check(p.returncode == 0, f"cargo generate-lockfile for the expectation: {p.stderr[-2000:]}")
        _shared[key] = supplycheck.linked_crates(src, src / "Cargo.lock", DEBIAN_REGISTRY, triple)
    return _shared[key]


def check_supply_chain(tmp, r, res, d, triple, rec):
    """The embedded dependency list (read by an independent ELF reader), the SBOM (against the CycloneDX 1.5
    schema) and the provenance of hexyl, each naming exactly the crates hexyl links on `triple`."""
    exe = d / CRATE
    sha = hashlib.sha256(exe.read_bytes()).hexdigest()
    want = expected_linked(tmp, triple)
    e = res["executables"][0]
    check(res.get("auditable") is True and e.get("auditable") is True,
          f"result.json says the dependency list is embedded: {res.get('auditable')} {res.get('auditable_details')}", r)
    info = supplycheck.dep_v0(exe)
    pkgs = info["packages"]
    got = {(p["name"], p["version"]) for p in pkgs}
    check(got == want, f".dep-v0 lists {sorted(got)}; hexyl links {sorted(want)} "
                       f"(extra {sorted(got - want)}, missing {sorted(want - got)})", r)
    roots = [p for p in pkgs if p.get("root")]
    check(len(roots) == 1 and roots[0]["name"] == CRATE, f"one root, hexyl: {roots}", r)
    check(all(0 <= i < len(pkgs) for p in pkgs for i in p.get("dependencies", [])), "dependency indices valid", r)
    check(all(p.get("kind", "runtime") == "runtime" for p in pkgs), "only runtime (linked) crates", r)
    check(isinstance(res.get("source_date_epoch"), int), f"source_date_epoch {res.get('source_date_epoch')!r}", r)

    sbom_path = d / f"{CRATE}.cdx.json"
    check(e.get("sbom") == sbom_path.name and sbom_path.is_file(), f"SBOM {e.get('sbom')!r} written", r)
    ok, out = supplycheck.validate_cyclonedx(sbom_path)
    check(ok, f"{sbom_path.name} is not valid CycloneDX 1.5: {out[-3000:]}", r)
    bom = load_json(sbom_path)
    main = bom["metadata"]["component"]
    hashes = {h["alg"]: h["content"] for h in main["hashes"]}
    check(hashes.get("SHA-256") == sha and hashes.get("BLAKE3") == e["bsum"], f"SBOM hashes {hashes}", r)
    comps = {(c["name"], c["version"]) for c in bom["components"]}
    check(comps == want - {(CRATE, VERSION)}, f"SBOM components {sorted(comps)}", r)
    check(all(c["purl"] == f"pkg:cargo/{c['name']}@{c['version']}" for c in bom["components"]),
          "crates.io purls", r)
    refs = {main["bom-ref"]} | {c["bom-ref"] for c in bom["components"]}
    check({dep["ref"] for dep in bom["dependencies"]} == refs, "every component in the dependency graph", r)

    prov_path = d / f"{CRATE}.intoto.json"
    check(e.get("provenance") == prov_path.name and prov_path.is_file(), f"provenance {e.get('provenance')!r}", r)
    st = load_json(prov_path)
    check(st["_type"] == "https://in-toto.io/Statement/v1", f"statement type {st['_type']}", r)
    check(st["predicateType"] == "https://slsa.dev/provenance/v1", f"predicate {st['predicateType']}", r)
    check(st["subject"] == [{"name": CRATE, "digest": {"sha256": sha}}],
          f"subject {st['subject']} is the file's SHA-256 {sha}", r)
    bd = st["predicate"]["buildDefinition"]
    check(bd["externalParameters"]["target"] == triple, "provenance target", r)
    check(bd["resolvedDependencies"][0]["digest"]["sha256"] == shared()[0].checksums[(CRATE, VERSION)],
          "the .crate's SHA-256 is the first resolved dependency", r)
    check(bd["internalParameters"]["rustc"].startswith("rustc "), f"rustc -vV {bd['internalParameters']['rustc']!r}", r)

    check(f"{CRATE}.cdx.json" in rec["ghcr_files"] and f"{CRATE}.intoto.json" in rec["ghcr_files"],
          f"ghcr_files {rec['ghcr_files']}", r)
    check(rec.get("sbom_url", "").endswith(f"{CRATE}.cdx.json"), f"sbom_url {rec.get('sbom_url')!r}", r)
    check(rec.get("provenance_url", "").endswith(f"{CRATE}.intoto.json"),
          f"provenance_url {rec.get('provenance_url')!r}", r)
    # No trace of forge's build directory or cargo home in the executable.
    data = exe.read_bytes()
    for leak in (str(Path(tmp)).encode(), str(_shared["root"]).encode()):
        check(leak not in data, f"{leak!r} found in the executable", r)


def test_host_build_static_with_metadata(tmp):
    buildenv.require_cargo("stable")
    reg, home = shared()
    out = tmp / "out"
    env = build_env(tmp, home)
    r = run_forge("build", f"{CRATE}@{VERSION}", "--target", "x86_64-unknown-linux-gnu", "--builder", "cargo",
                  "--toolchain", "stable", "--index-url", reg.index_url, "--out", out, "--offline",
                  cwd=tmp, env=env, timeout=TIMEOUT)
    res, d = check_built(tmp, r, out, "x86_64-unknown-linux-gnu", "x86_64-Linux", buildenv.EM_X86_64, run=[])
    # A scanner no one here wrote reads the dependency list out of the executable.
    found = supplycheck.trivy_cargo_packages(tmp, d / CRATE)
    want = expected_linked(tmp, "x86_64-unknown-linux-gnu")
    check(want - {(CRATE, VERSION)} <= found <= want,
          f"Trivy lists {sorted(found)}; hexyl links {sorted(want)} (missing {sorted(want - found)})", r)
    cached = list((tmp / "cache" / "forge").rglob("*.crate"))
    check(len(cached) == 1 and buildenv.sha256(cached[0]) == reg.checksums[(CRATE, VERSION)],
          f"the verified .crate is cached under XDG_CACHE_HOME/forge: {cached}", r)
    check(reg.srv.requests("/index/config.json"), "config.json was fetched from the index", r)
    check(reg.srv.requests("/index/" + buildenv.sparse_index_path(CRATE)), "the index file was fetched", r)


def test_cross_build_aarch64_runs_under_qemu(tmp):
    missing = buildenv.have_aarch64_recipe()
    if missing:
        raise SkipTest("Recipe A pieces missing: " + ", ".join(missing) + " (scripts/test-deps.sh)")
    reg, home = shared()
    out = tmp / "out"
    # rustup's rustc proxy (earlier on PATH) has no aarch64 std: Debian's cargo must use Debian's rustc.
    env = build_env(tmp, home, RUSTC="/usr/bin/rustc")
    r = run_forge("build", f"{CRATE}@{VERSION}", "--target", "aarch64-unknown-linux-gnu", "--builder", "cargo",
                  "--cargo", "/usr/bin/cargo", "--toolchain", "", "--linker",
                  "aarch64-unknown-linux-gnu=aarch64-linux-gnu-gcc", "--index-url", reg.index_url, "--out", out,
                  "--offline", cwd=tmp, env=env, timeout=TIMEOUT)
    res, _ = check_built(tmp, r, out, "aarch64-unknown-linux-gnu", "aarch64-Linux", buildenv.EM_AARCH64,
                         run=[shutil.which("qemu-aarch64-static")])
    check(res["argv"][0] == "/usr/bin/cargo" and not any(a.startswith("+") for a in res["argv"]),
          f"Debian cargo without +toolchain: {res['argv']}", r)
    check(not (out / "x86_64-Linux").exists(), "nothing filed under x86_64-Linux", r)


def test_queue_gives_version_and_checksum(tmp):
    buildenv.require_cargo("stable")
    reg, home = shared()
    queue = buildenv.write_queue(tmp / "queue.json", [
        {"name": CRATE, "version": VERSION, "checksum": reg.checksums[(CRATE, VERSION)], "bin_names": [CRATE],
         "description": "A command-line hex viewer", "license": "MIT/Apache-2.0",
         "repository": "https://github.com/sharkdp/hexyl"}])
    out = tmp / "out"
    env = build_env(tmp, home)
    reg.srv.clear_log()
    r = run_forge("build", CRATE, "--queue", queue, "--target", "x86_64-unknown-linux-gnu", "--builder", "cargo",
                  "--toolchain", "stable", "--index-url", "http://127.0.0.1:9/", "--crate-url",
                  reg.crate_url_template(), "--out", out, "--offline", "--verify-reproducible", cwd=tmp, env=env,
                  timeout=TIMEOUT)
    res, d = check_built(tmp, r, out, "x86_64-unknown-linux-gnu", "x86_64-Linux", buildenv.EM_X86_64, run=[])
    # Built twice, in two directories at two times: the same bytes.
    check(res.get("reproducible") is True, f"hexyl rebuilds bit for bit: {res.get('reproducible')} "
                                           f"{res.get('reproducible_details')}", r)
    # The queue's publication time is the build date build scripts see.
    check(res.get("source_date_epoch") == 1735689600, f"SOURCE_DATE_EPOCH from published_at: {res.get('source_date_epoch')}", r)
    check(not reg.srv.requests("/index/config.json"), "the index is not consulted", r)
    check(len(reg.srv.requests(reg.crate_path(CRATE, VERSION))) >= 1, "the .crate came from --crate-url", r)


def test_build_time_crate_is_not_reproducible(tmp):
    """A crate whose build script embeds the clock: --verify-reproducible says false and names the section;
    the package is still built. Built again with the supply-chain outputs turned off: nothing embedded."""
    buildenv.require_cargo("stable")
    reg = Registry(tmp)
    try:
        reg.add_fixture("fx-build-time")
        home = cargo_home(tmp)
        env = build_env(tmp, home)
        out = tmp / "out"
        r = run_forge("build", "fx-build-time@0.1.0", "--target", "x86_64-unknown-linux-gnu", "--builder", "cargo",
                      "--toolchain", "stable", "--index-url", reg.index_url, "--out", out, "--offline",
                      "--features", "default", "--verify-reproducible", cwd=tmp, env=env, timeout=TIMEOUT)
        check(r.code == 0, "forge build exits 0 (an unreproducible build is still built)", r)
        res, d = load_result(out, "x86_64-Linux", "fx-build-time", "0.1.0", r)
        check(res["status"] == "built", f"built: {res['status']} {res['reason']}", r)
        check(res.get("reproducible") is False, f"reproducible false: {res.get('reproducible')}", r)
        details = res.get("reproducible_details") or ""
        check(details.startswith("fx-build-time: section .") and " differs" in details,
              f"the reason names the first differing section: {details!r}", r)
        log = buildenv.check_log(res, d, r)
        check("not reproducible" in log and details in log, "the log says so too", r)
        info = supplycheck.dep_v0(d / "fx-build-time")
        check([p["name"] for p in info["packages"]] == ["fx-build-time"] and info["packages"][0].get("root"),
              f"a crate without dependencies lists itself: {info}", r)

        out2 = tmp / "out-off"
        r = run_forge("build", "fx-build-time@0.1.0", "--target", "x86_64-unknown-linux-gnu", "--builder", "cargo",
                      "--toolchain", "stable", "--index-url", reg.index_url, "--out", out2, "--offline",
                      "--features", "default", "--no-auditable", "--no-sbom", "--no-provenance", cwd=tmp, env=env,
                      timeout=TIMEOUT)
        check(r.code == 0, "forge build exits 0", r)
        res, d = load_result(out2, "x86_64-Linux", "fx-build-time", "0.1.0", r)
        secs = supplycheck.elf_sections((d / "fx-build-time").read_bytes())
        check(".dep-v0" not in secs, "--no-auditable: no .dep-v0 section", r)
        check(not (d / "fx-build-time.cdx.json").exists() and not (d / "fx-build-time.intoto.json").exists(),
              "--no-sbom --no-provenance: neither file", r)
        check(res.get("auditable") is False and res.get("reproducible") is None, f"result.json {res}", r)
        rec = load_json(d / "fx-build-time.json")
        check("fx-build-time.cdx.json" not in rec["ghcr_files"] and "sbom_url" not in rec, "record names no SBOM", r)
    finally:
        reg.stop()


if __name__ == "__main__":
    main([test_host_build_static_with_metadata, test_cross_build_aarch64_runs_under_qemu,
          test_queue_gives_version_and_checksum, test_build_time_crate_is_not_reproducible])
