"""Why: the corpus benchmark needs crates.io as cargo and forge see it, offline: a sparse index whose entries
say what crates.io's would (deps with kind/target/optional/features/rename, features and features2, links,
rust-version, the .crate's SHA-256), and .crate files, for every crate Debian ships under
/usr/share/cargo/registry. Everything comes from the crates' own Cargo.toml (Debian's copies are the
normalised manifests `cargo package` wrote, plus Debian's patches), so the index never disagrees with the
manifest cargo reads after unpacking.

    build_mirror(registry, mirror_dir, roots) -> {name: {version: cksum}}
        packs each crate once (cached by its Cargo.toml's mtime/size and whether its dev-dependencies are
        stripped) into mirror_dir/crates/<name>/<name>-<version>.crate and rewrites mirror_dir/index/.
    strip_dev_dependencies(text) -> text
        the manifest without its [dev-dependencies] tables (plain and target-specific), checked by re-parsing.

The root crates (the ones queued) get their dev-dependencies stripped: cargo resolves a root's
dev-dependencies even for `cargo build`, and Debian lacks many of them. A dependency's dev-dependencies are
never resolved, so the other crates are packed unchanged.

As a script: python3 corpus_mirror.py MIRROR_DIR [ROOT_CRATE ...]  (prints how many crates it indexed)
"""
import json
import os
import re
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "e2e"))
from buildenv import DEBIAN_REGISTRY, make_crate_file, sha256, sparse_index_path  # noqa: E402

_DEP_SECTIONS = {"dependencies": "normal", "build-dependencies": "build", "build_dependencies": "build",
                 "dev-dependencies": "dev", "dev_dependencies": "dev"}
_DEV = ("dev-dependencies", "dev_dependencies")
# A TOML table header line: [a.b] or [[a.b]] (keys may be quoted, e.g. [target.'cfg(unix)'.dependencies]).
_HEADER = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*(\.|$)""")


def _header_keys(header):
    """'target."cfg(unix)".dev-dependencies.libc' -> ['target', 'cfg(unix)', 'dev-dependencies', 'libc']."""
    keys, pos = [], 0
    while pos < len(header):
        m = _KEY.match(header, pos)
        if not m:
            return None
        k = m.group(1)
        keys.append(k[1:-1] if k[0] in "\"'" else k)
        pos = m.end()
    return keys


def _is_dev_table(keys):
    if not keys:
        return False
    if keys[0] in _DEV:
        return True
    return len(keys) >= 3 and keys[0] == "target" and keys[2] in _DEV


def strip_dev_dependencies(text):
    """Removes every dev-dependency table; inline forms (a `dev-dependencies = {...}` key, or a
    `[target.X]` table holding `dev-dependencies.foo = ...` keys) are not written by `cargo package`, and a
    manifest with them is refused rather than half-stripped."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        m = _HEADER.match(line)
        if m and not line.lstrip().startswith("#"):
            skipping = _is_dev_table(_header_keys(m.group(1)))
        if not skipping:
            out.append(line)
    result = "".join(out)
    after = tomllib.loads(result)
    if _without_dev(after) != after:
        raise ValueError("dev-dependencies are left after stripping (an inline form)")
    if _without_dev(tomllib.loads(text)) != after:
        raise ValueError("stripping the dev-dependencies changed more than the dev-dependencies")
    return result


def _without_dev(doc):
    """The parsed manifest without dev-dependencies (and without target tables left empty by that)."""
    doc = {k: v for k, v in doc.items() if k not in _DEV}
    if "target" in doc:
        targets = {t: {k: v for k, v in tt.items() if k not in _DEV} for t, tt in doc["target"].items()}
        doc["target"] = {t: tt for t, tt in targets.items() if tt}
        if not doc["target"]:
            del doc["target"]
    return doc


def _dep_entry(name, spec, kind, target):
    if isinstance(spec, str):
        spec = {"version": spec}
    entry = {"name": name, "req": spec.get("version", "*"), "features": list(spec.get("features", [])),
             "optional": bool(spec.get("optional", False)),
             "default_features": bool(spec.get("default-features", spec.get("default_features", True))),
             "target": target, "kind": kind}
    if "package" in spec:  # a renamed dependency: the index's name is the rename, package the real crate
        entry["package"] = spec["package"]
    if "registry-index" in spec:
        entry["registry"] = spec["registry-index"]
    return entry


def index_entry(manifest, cksum):
    """The sparse-index line crates.io would publish for this manifest."""
    pkg = manifest["package"]
    deps = []
    for section, kind in _DEP_SECTIONS.items():
        for name, spec in manifest.get(section, {}).items():
            deps.append(_dep_entry(name, spec, kind, None))
    for target, tables in manifest.get("target", {}).items():
        for section, kind in _DEP_SECTIONS.items():
            for name, spec in tables.get(section, {}).items():
                deps.append(_dep_entry(name, spec, kind, target))
    features, features2 = {}, {}
    for feat, values in manifest.get("features", {}).items():
        new_syntax = any(v.startswith("dep:") or "?/" in v for v in values)
        (features2 if new_syntax else features)[feat] = list(values)
    entry = {"name": pkg["name"], "vers": pkg["version"], "deps": deps, "cksum": cksum, "features": features,
             "yanked": False, "links": pkg.get("links")}
    if features2:
        entry["features2"] = features2
        entry["v"] = 2
    if isinstance(pkg.get("rust-version"), str):
        entry["rust_version"] = pkg["rust-version"]
    return entry


def _pack(src, name, version, dest_dir, strip_dev, scratch):
    """The .crate of `src`; with strip_dev, of a copy whose Cargo.toml has no dev-dependencies."""
    if not strip_dev:
        return make_crate_file(src, name, version, dest_dir)
    import shutil
    copy = scratch / f"{name}-{version}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(src, copy, symlinks=True)
    manifest = copy / "Cargo.toml"
    manifest.chmod(0o644)
    manifest.write_text(strip_dev_dependencies((src / "Cargo.toml").read_text(encoding="utf-8")),
                        encoding="utf-8")
    try:
        return make_crate_file(copy, name, version, dest_dir)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def build_mirror(mirror_dir, roots, registry=DEBIAN_REGISTRY):
    """Packs and indexes every crate of `registry`; `roots` are crate names whose dev-dependencies go.
    Returns {name: {version: cksum}}. Re-running repacks only crates whose Cargo.toml changed."""
    mirror_dir = Path(mirror_dir)
    crates_dir, index_dir = mirror_dir / "crates", mirror_dir / "index.new"
    scratch = mirror_dir / "scratch"
    for d in (crates_dir, scratch):
        d.mkdir(parents=True, exist_ok=True)
    stamp_file = mirror_dir / "stamps.json"
    stamps = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
    roots = set(roots)
    lines, sums, new_stamps = {}, {}, {}
    for src in sorted(Path(registry).iterdir()):
        toml_path = src / "Cargo.toml"
        if not toml_path.is_file():
            continue
        manifest = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        name, version = manifest["package"]["name"], manifest["package"]["version"]
        strip = name in roots
        st = toml_path.stat()
        key = f"{src.name}|{st.st_mtime_ns}|{st.st_size}|{'strip' if strip else 'keep'}"
        crate = crates_dir / name / f"{name}-{version}.crate"
        old = stamps.get(f"{name}-{version}")
        if old and old["key"] == key and crate.exists():
            cksum = old["cksum"]
        else:
            crate = _pack(src, name, version, crates_dir / name, strip, scratch)
            cksum = sha256(crate)
        new_stamps[f"{name}-{version}"] = {"key": key, "cksum": cksum}
        if strip:
            manifest = tomllib.loads(strip_dev_dependencies(toml_path.read_text(encoding="utf-8")))
        lines.setdefault(name, []).append(json.dumps(index_entry(manifest, cksum), separators=(",", ":")))
        sums.setdefault(name, {})[version] = cksum
    import shutil
    shutil.rmtree(index_dir, ignore_errors=True)
    for name, entries in lines.items():
        path = index_dir / sparse_index_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(e + "\n" for e in entries), encoding="utf-8")
    shutil.rmtree(mirror_dir / "index", ignore_errors=True)
    os.replace(index_dir, mirror_dir / "index")
    tmp = stamp_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(new_stamps, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, stamp_file)
    shutil.rmtree(scratch, ignore_errors=True)
    return sums


def write_index_config(mirror_dir, dl_base):
    """config.json names where the .crate files are; the port changes from run to run."""
    cfg = {"dl": dl_base.rstrip("/") + "/{crate}/{crate}-{version}.crate", "api": None}
    (Path(mirror_dir) / "index" / "config.json").write_text(json.dumps(cfg) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: corpus_mirror.py MIRROR_DIR [ROOT_CRATE ...]")
    result = build_mirror(sys.argv[1], sys.argv[2:])
    print(f"indexed {sum(len(v) for v in result.values())} versions of {len(result)} crates")
