"""Why: the `forge publish` suites share how an out dir is crafted (the files `forge build` leaves, written
here directly so most tests need no cargo), how forge is called against a loopback registry, and the
independent check that what the registry serves is exactly what was built.

    craft_build(out, crate, version, {exe: bytes}, host=...) -> dir
    publish(tmp, out, registry_host, *args, env=None) -> Result
    check_published(base_url, dir, exe, ns=NS, auth=None) -> (manifest, manifest_digest)
"""
import hashlib
import json
import random
from pathlib import Path

import buildenv
from harness import check, run_forge
from registry import pull_blob, pull_manifest

NS = "forge-test"
HOST = "x86_64-Linux"
TITLES = lambda exe: [exe, "CHECKSUM", "LICENSE", f"{exe}.json", f"{exe}.log", f"{exe}.version"]  # noqa: E731
EMPTY_CONFIG = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def blob_bytes(size, seed):
    """Deterministic bytes that look nothing alike for different seeds (an ELF magic in front)."""
    return b"\x7fELF" + random.Random(seed).randbytes(max(0, size - 4))


def craft_build(out, crate, version, exes, host=HOST, status="built", static=True, license_text="MIT\n",
                attest=False):
    """The directory `forge build` leaves for one crate and target, with soar records; with `attest`, an SBOM
    and a provenance statement per executable (the fields publish checks: their SHA-256 of the file)."""
    d = Path(out) / host / crate / version
    d.mkdir(parents=True, exist_ok=True)
    entries, checksum = [], ""
    names = sorted(exes)
    for exe in names:
        data = exes[exe]
        (d / exe).write_bytes(data)
        (d / exe).chmod(0o755)
        bsum = buildenv.blake3(d / exe)
        shasum = hashlib.sha256(data).hexdigest()
        repo = f"ghcr.io/pkgforge-cargo/{crate}/stable/{exe}".lower()
        record = {
            "_disabled": "false", "pkg": exe, "pkg_family": crate, "pkg_id": f"pkgforge-cargo.{crate}.stable",
            "pkg_name": exe, "pkg_type": "static", "pkg_webpage": f"https://crates.io/crates/{crate}",
            "version": version, "version_upstream": version, "description": f"{crate}: a test crate",
            "homepage": [f"https://example.org/{crate}"], "license": ["MIT"], "provides": names,
            "recurse_provides": "false", "bsum": bsum, "shasum": shasum, "size": str(len(data)),
            "size_raw": str(len(data)), "host": host, "build_date": "2025-06-14T13:14:21Z", "build_id": "",
            "ghcr_pkg": f"{repo}:{version}-{host}", "ghcr_url": f"https://{repo}",
            "download_url": f"https://api.ghcr.pkgforge.dev/pkgforge-cargo/{crate}/stable/{exe}"
                            f"?tag={version}-{host}&download={exe}",
            "snapshots": [],
        }
        (d / f"{exe}.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        (d / f"{exe}.version").write_text(version + "\n", encoding="utf-8")
        (d / f"{exe}.log").write_text(f"build log of {crate} {version}\n", encoding="utf-8")
        checksum += f"{exe}:{bsum}\n"
        entry = {"name": exe, "size": len(data), "bsum": bsum, "shasum": shasum, "static": static}
        if attest:
            sbom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "metadata": {"component": {
                "type": "application", "name": exe, "hashes": [{"alg": "SHA-256", "content": shasum}]}}}
            (d / f"{exe}.cdx.json").write_text(json.dumps(sbom, indent=2) + "\n", encoding="utf-8")
            statement = {"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": exe, "digest": {
                "sha256": shasum}}], "predicateType": "https://slsa.dev/provenance/v1", "predicate": {}}
            (d / f"{exe}.intoto.json").write_text(json.dumps(statement, indent=2) + "\n", encoding="utf-8")
            entry.update(sbom=f"{exe}.cdx.json", provenance=f"{exe}.intoto.json")
        entries.append(entry)
    (d / "CHECKSUM").write_text(checksum, encoding="utf-8")
    (d / "LICENSE").write_text(license_text, encoding="utf-8")
    (d / "build.log").write_text(f"build log of {crate} {version}\n", encoding="utf-8")
    result = {"format": "forge-result/1", "crate": crate, "version": version, "target": "x86_64-unknown-linux-musl",
              "host": host, "builder": "cargo", "argv": [], "status": status, "reason": None if status == "built"
              else "compile-error", "executables": entries if status == "built" else []}
    (d / "result.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return d


def publish(tmp, out, registry_host, *args, env=None, timeout=600):
    base_env = {"XDG_CONFIG_HOME": str(Path(tmp) / "no-config"), "FORGE_REGISTRY_TOKEN": "", "GITHUB_TOKEN": ""}
    base_env.update(env or {})
    return run_forge("publish", "--out", out, "--registry", f"http://{registry_host}", "--namespace", NS,
                     "--retry-backoff", "0.05", *args, cwd=tmp, env=base_env, timeout=timeout)


def repo_of(crate, exe, ns=NS):
    return f"{ns}/{crate}/stable/{exe}".lower()


def check_published(base_url, d, exe, ns=NS, auth=None, r=None):
    """Pulls the artifact for `exe` of build dir `d` back by tag and every layer by digest; compares each
    with the local file byte for byte, and the executable's BLAKE3 (b3sum) with the bsum annotation."""
    d = Path(d)
    result = json.loads((d / "result.json").read_text(encoding="utf-8"))
    crate, version, host = result["crate"], result["version"], result["host"]
    repo, tag = repo_of(crate, exe, ns), f"{version}-{host}"
    status, headers, body = pull_manifest(base_url, repo, tag, auth)
    check(status == 200, f"manifest {repo}:{tag} is there: HTTP {status}", r)
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    check(headers.get("Docker-Content-Digest") in (None, digest), f"digest header {headers.get('Docker-Content-Digest')}")
    m = json.loads(body)
    check(m["schemaVersion"] == 2 and m["mediaType"] == "application/vnd.oci.image.manifest.v1+json",
          f"an OCI image manifest: {m.get('mediaType')}", r)
    check(m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json" and m["config"]["digest"] == EMPTY_CONFIG
          and m["config"]["size"] == 2, f"empty config: {m['config']}", r)
    check(pull_blob(base_url, repo, EMPTY_CONFIG, auth) == b"{}", "the config blob is {}", r)
    titles = [l["annotations"]["org.opencontainers.image.title"] for l in m["layers"]]
    exe_entry = [e for e in result["executables"] if e["name"] == exe][0]
    attached = {exe_entry[k]: t for k, t in (("sbom", "application/vnd.cyclonedx+json"),
                                             ("provenance", "application/vnd.in-toto+json")) if exe_entry.get(k)}
    check(titles == TITLES(exe) + list(attached), f"layer titles {titles}", r)
    local = {exe: d / exe, "CHECKSUM": d / "CHECKSUM", "LICENSE": d / "LICENSE", f"{exe}.json": d / f"{exe}.json",
             f"{exe}.log": d / f"{exe}.log" if (d / f"{exe}.log").exists() else d / "build.log",
             f"{exe}.version": d / f"{exe}.version"}
    local.update({name: d / name for name in attached})
    for layer in m["layers"]:
        title = layer["annotations"]["org.opencontainers.image.title"]
        if title in attached:
            check(layer["mediaType"] == attached[title], f"{title}: media type {layer['mediaType']}", r)
    pulled = {}
    for layer in m["layers"]:
        title = layer["annotations"]["org.opencontainers.image.title"]
        data = pull_blob(base_url, repo, layer["digest"], auth)
        check(layer["digest"] == "sha256:" + hashlib.sha256(data).hexdigest(), f"{title}: digest matches bytes", r)
        check(layer["size"] == len(data), f"{title}: size {layer['size']} == {len(data)}", r)
        check(data == local[title].read_bytes(), f"{title}: the registry's bytes equal {local[title]}", r)
        pulled[title] = data
    # BLAKE3 of what the registry serves, by an independent implementation.
    fetched = Path(d).parent / f".pulled-{exe}"
    fetched.write_bytes(pulled[exe])
    b3 = buildenv.blake3(fetched)
    fetched.unlink()
    ann = m["annotations"]
    check(b3 == exe_entry["bsum"] == ann["dev.pkgforge.soar.bsum"],
          f"b3sum {b3} == result.json {exe_entry['bsum']} == annotation {ann.get('dev.pkgforge.soar.bsum')}", r)
    check(f"{exe}:{b3}" in pulled["CHECKSUM"].decode().splitlines(), "CHECKSUM lists the executable", r)
    record = json.loads(pulled[f"{exe}.json"])
    check(json.loads(ann["dev.pkgforge.soar.json"]) == record, "annotation json == the record layer", r)
    for key in ("bsum", "shasum", "build_date", "pkg", "pkg_family", "pkg_name", "version", "download_url",
                "ghcr_pkg"):
        check(ann.get(f"dev.pkgforge.soar.{key}") == record[key], f"annotation {key} == record {record[key]!r}", r)
    for key in ("created", "description", "licenses", "source", "title", "version"):
        check(ann.get(f"org.opencontainers.image.{key}"), f"annotation org.opencontainers.image.{key} is set", r)
    check(ann["org.opencontainers.image.title"] == exe and ann["org.opencontainers.image.version"] == version,
          "image title/version", r)
    check(record["ghcr_pkg"].endswith(f"/{repo}:{tag}"), f"record ghcr_pkg {record['ghcr_pkg']} names {repo}:{tag}", r)
    check(tag in record["snapshots"], f"snapshots {record['snapshots']} include {tag}", r)
    return m, digest
