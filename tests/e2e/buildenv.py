"""Why: `forge build` end-to-end tests need a crates.io look-alike that works offline (a sparse index and
.crate files served from a loopback TestServer), a CARGO_HOME whose crates-io source is Debian's cargo
directory source, and an environment that finds rustup's cargo even when PATH lacks ~/.cargo/bin. This
module builds those pieces and holds the independent checks (ELF reader, hashes) the build tests share.

    make_crate_file(src_dir, name, version, dest_dir) -> path   deterministic .crate (gzip tar)
    sha256(path) / blake3(path)                                hex digests (blake3 through b3sum)
    Registry(tmp)                                              sparse index + crates over HTTP
                                                               (.add packs a directory, .publish a .crate)
    cargo_home(tmp, directory_source=DEBIAN_REGISTRY)          CARGO_HOME with the source replacement
    find_cargo(), have_aarch64_recipe()                        what this machine can do
    build_env(tmp, cargo_home_dir, **extra)                    environment for run_forge
    elf_info(path)                                             machine, PT_INTERP, DT_NEEDED
    write_queue(path, crates)                                  a forge-queue/1 file
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from harness import FIXTURES, SkipTest, check, load_json
from httpserver import TestServer

DEBIAN_REGISTRY = Path("/usr/share/cargo/registry")
HEXYL_SRC = DEBIAN_REGISTRY / "hexyl-0.8.0"
CRATE_FIXTURES = FIXTURES / "crates"
HOST_OF = {"x86_64-unknown-linux-gnu": "x86_64-Linux", "x86_64-unknown-linux-musl": "x86_64-Linux",
           "aarch64-unknown-linux-gnu": "aarch64-Linux", "aarch64-unknown-linux-musl": "aarch64-Linux"}
# Never part of a published .crate: Debian's checksum file, build output, VCS data.
_EXCLUDE = {".cargo-checksum.json", "target", ".git", ".pc", "debian"}


# -- crate files -------------------------------------------------------------------------------------------

def make_crate_file(src_dir, name, version, dest_dir):
    """Packs `src_dir` as `dest_dir/{name}-{version}.crate`: gzip tar, top dir `{name}-{version}/`, sorted
    entries, mtime 0 (tar) / 0 (gzip header), owner root; the same input gives the same bytes."""
    src_dir, dest_dir = Path(src_dir), Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    top = f"{name}-{version}"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        def add(path, arc):
            info = tar.gettarinfo(str(path), arc)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isdir():
                info.mode = 0o755
                tar.addfile(info)
                for child in sorted(path.iterdir(), key=lambda p: p.name):
                    if child.name not in _EXCLUDE:
                        add(child, f"{arc}/{child.name}")
            elif info.isfile():
                info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            # symlinks and anything else are left out: crates.io's packager resolves them too.
        add(src_dir, top)
    out = dest_dir / f"{top}.crate"
    with open(out, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(buf.getvalue())
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def blake3(path):
    """BLAKE3 by the b3sum program (an implementation independent of forge's)."""
    b3 = shutil.which("b3sum") or ("/usr/bin/b3sum" if os.path.exists("/usr/bin/b3sum") else None)
    if b3 is None:
        raise SkipTest("b3sum is not installed (scripts/test-deps.sh installs it)")
    out = subprocess.run([b3, "--no-names", str(path)], capture_output=True, text=True, check=True).stdout
    return out.split()[0].strip()


def sparse_index_path(name):
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[0:2]}/{n[2:4]}/{n}"


class Registry:
    """A crates.io look-alike under `tmp/www`, served by its own TestServer:
    /index/config.json ({"dl": ".../crates/{crate}/{crate}-{version}.crate"}), /index/<sparse path>, and
    /crates/<name>/<name>-<version>.crate. `index_url` ends with '/', as forge's --index-url wants."""

    def __init__(self, tmp):
        self.root = Path(tmp) / "www"
        (self.root / "index").mkdir(parents=True, exist_ok=True)
        (self.root / "crates").mkdir(parents=True, exist_ok=True)
        self.srv = TestServer(self.root)
        self.srv.start()
        self.index_url = self.srv.url("/index/")
        self.dl_template = self.srv.url("/crates") + "/{crate}/{crate}-{version}.crate"
        (self.root / "index" / "config.json").write_text(
            json.dumps({"dl": self.dl_template, "api": None}) + "\n", encoding="utf-8")
        self.checksums = {}

    def add(self, name, version, src_dir, rust_version=None, yanked=False):
        """Packs `src_dir` as the crate, publishes it in the index; returns its SHA-256."""
        dest = self.root / "crates" / name
        path = make_crate_file(src_dir, name, version, dest)
        return self.publish(name, version, path, rust_version, yanked)

    def publish(self, name, version, crate_path, rust_version=None, yanked=False):
        """Serves an existing .crate file (e.g. a hand-made hostile one) as the crate; returns its SHA-256."""
        path = self.crate_file(name, version)
        if Path(crate_path) != path:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(crate_path, path)
        cksum = sha256(path)
        entry = {"name": name, "vers": version, "deps": [], "cksum": cksum, "features": {}, "yanked": yanked}
        if rust_version:
            entry["rust_version"] = rust_version
        index_file = self.root / "index" / sparse_index_path(name)
        index_file.parent.mkdir(parents=True, exist_ok=True)
        with open(index_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self.checksums[(name, version)] = cksum
        return cksum

    def add_fixture(self, name, version="0.1.0"):
        src = CRATE_FIXTURES / name
        if not (src / "Cargo.toml").exists():
            raise SkipTest(f"fixture crate {name} is not there ({src})")
        return self.add(name, version, src)

    def crate_file(self, name, version):
        return self.root / "crates" / name / f"{name}-{version}.crate"

    def crate_path(self, name, version):
        return f"/crates/{name}/{name}-{version}.crate"

    def crate_url_template(self):
        return self.srv.url("/crates") + "/{crate}/{crate}-{version}.crate"

    def stop(self):
        self.srv.stop()


def write_queue(path, crates):
    """A forge-queue/1 file; each crate is a dict with at least name, version, checksum."""
    rows = []
    for i, c in enumerate(crates, 1):
        row = {"rank": i, "bin_names": [], "description": None, "license": None, "repository": None,
               "homepage": None, "downloads": 0, "categories": [], "keywords": [],
               "published_at": "2025-01-01T00:00:00Z", "edition": None, "rust_version": None, "has_lib": False}
        row.update(c)
        rows.append(row)
    doc = {"format": "forge-queue/1", "generated_at": "2025-01-02T00:00:00Z", "since": "2025-01-01",
           "dump": {"source": "test", "timestamp": "2025-01-02T00:00:00Z"}, "crates": rows}
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return Path(path)


# -- toolchains ----------------------------------------------------------------------------------------------

def cargo_home(tmp, directory_source=DEBIAN_REGISTRY):
    """CARGO_HOME with crates-io replaced by a directory source (harmless for crates without deps)."""
    home = Path(tmp) / "cargo-home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "debian"\n\n'
        f'[source.debian]\ndirectory = "{directory_source}"\n\n'
        '[net]\noffline = true\n', encoding="utf-8")
    return home


def _cargo_bin_dirs():
    dirs = []
    for home in (os.environ.get("HOME"), "/root"):
        if home:
            d = Path(home) / ".cargo" / "bin"
            if d.is_dir() and d not in dirs:
                dirs.append(d)
    return dirs


def find_cargo():
    """rustup's cargo (its proxy understands +toolchain): ~/.cargo/bin, /root/.cargo/bin, then PATH."""
    for d in _cargo_bin_dirs():
        if (d / "cargo").exists():
            return str(d / "cargo")
    return shutil.which("cargo")


def require_cargo(toolchain="stable"):
    cargo = find_cargo()
    if cargo is None:
        raise SkipTest("no cargo found (PATH, ~/.cargo/bin, /root/.cargo/bin)")
    if toolchain:
        r = subprocess.run([cargo, f"+{toolchain}", "--version"], capture_output=True, text=True,
                           env=dict(os.environ, PATH=_path_with_cargo()))
        if r.returncode != 0:
            raise SkipTest(f"cargo +{toolchain} does not run: {r.stderr.strip()[:200]}")
    return cargo


def have_aarch64_recipe():
    """Recipe A of toolchains.md: Debian cargo/rustc with the arm64 std, the cross gcc, qemu. Returns the
    list of missing pieces (empty = all there)."""
    missing = []
    for prog in ("/usr/bin/cargo", "/usr/bin/rustc"):
        if not os.access(prog, os.X_OK):
            missing.append(prog + " (cargo-web/rustc-web)")
    for prog in ("aarch64-linux-gnu-gcc", "qemu-aarch64-static"):
        if shutil.which(prog) is None:
            missing.append(prog)
    if not Path("/usr/lib/rustlib/aarch64-unknown-linux-gnu/lib").is_dir():
        missing.append("/usr/lib/rustlib/aarch64-unknown-linux-gnu (libstd-rust-web-dev:arm64)")
    return missing


def _path_with_cargo(first=()):
    parts = [str(p) for p in first]
    parts += [str(d) for d in _cargo_bin_dirs()]
    parts += os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":")
    seen, out = set(), []
    for p in parts:
        if p and p not in seen:
            seen.add(p)
            out.append(p)
    return ":".join(out)


def build_env(tmp, cargo_home_dir, path_first=(), **extra):
    """Environment for `forge build`: PATH with ~/.cargo/bin, the given CARGO_HOME, cache/config/tmp inside
    `tmp` (so nothing outside the test is read or written), RUSTUP_HOME when rustup lives in /root."""
    tmp = Path(tmp)
    for sub in ("cache", "config", "tmpdir"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": _path_with_cargo(path_first),
        "CARGO_HOME": str(cargo_home_dir),
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        "TMPDIR": str(tmp / "tmpdir"),
        "CARGO_TERM_COLOR": "never",
    }
    if "RUSTUP_HOME" not in os.environ:
        for d in _cargo_bin_dirs():
            rustup_home = d.parent.parent / ".rustup"
            if rustup_home.is_dir():
                env["RUSTUP_HOME"] = str(rustup_home)
                break
    env.update({k: str(v) for k, v in extra.items()})
    return env


# -- ELF -----------------------------------------------------------------------------------------------------

EM_X86_64 = 62
EM_AARCH64 = 183


def elf_info(path):
    """Reads an ELF64 little-endian file without readelf: {"machine", "interp", "needed", "type"}.
    interp is the PT_INTERP string or None; needed lists DT_NEEDED names (empty for static executables)."""
    import struct
    data = Path(path).read_bytes()
    check(data[:4] == b"\x7fELF", f"{path} is not an ELF file")
    check(data[4] == 2 and data[5] == 1, f"{path}: only ELF64 little-endian is read here")
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    e_phoff = struct.unpack_from("<Q", data, 32)[0]
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    interp, dynamic, loads = None, None, []
    for i in range(e_phnum):
        off = e_phoff + i * e_phentsize
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", data, off)
        if p_type == 3:  # PT_INTERP
            interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode("utf-8", "replace")
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)
        elif p_type == 1:  # PT_LOAD
            loads.append((p_vaddr, p_offset, p_filesz))
    needed_offsets, strtab_vaddr = [], None
    if dynamic is not None:
        off, size = dynamic
        for pos in range(off, off + size - 15, 16):
            tag, val = struct.unpack_from("<qQ", data, pos)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                needed_offsets.append(val)
            elif tag == 5:  # DT_STRTAB (a virtual address)
                strtab_vaddr = val
    needed = []
    if needed_offsets:
        strtab = None
        for vaddr, poff, fsz in loads:
            if strtab_vaddr is not None and vaddr <= strtab_vaddr < vaddr + fsz:
                strtab = poff + (strtab_vaddr - vaddr)
        for o in needed_offsets:
            if strtab is None:
                needed.append(f"<DT_NEEDED #{o}>")
            else:
                end = data.index(b"\0", strtab + o)
                needed.append(data[strtab + o:end].decode("utf-8", "replace"))
    return {"machine": e_machine, "interp": interp, "needed": needed, "type": e_type}


def check_static(path, machine=EM_X86_64):
    info = elf_info(path)
    check(info["machine"] == machine, f"{path}: ELF machine {info['machine']}, expected {machine}")
    check(info["interp"] is None, f"{path}: has PT_INTERP {info['interp']!r}: not static")
    check(not info["needed"], f"{path}: DT_NEEDED {info['needed']}: not static")
    return info


# -- result.json -------------------------------------------------------------------------------------------

RESULT_FIELDS = {"format": str, "crate": str, "version": str, "target": str, "host": str, "builder": str,
                 "argv": list, "status": str, "spurious": bool, "started_at": str,
                 "duration_s": (int, float), "log": str, "executables": list}


def out_dir_of(out, host, crate, version):
    return Path(out) / host / crate / version


def load_result(out, host, crate, version, r=None):
    d = out_dir_of(out, host, crate, version)
    path = d / "result.json"
    if not path.exists():
        found = sorted(str(p) for p in Path(out).rglob("result.json")) if Path(out).exists() else []
        check(False, f"no {path}; result.json files under {out}: {found}", r)
    return load_json(path), d


def check_result_shape(res, r=None):
    """Fields and JSON types of result.json (forge-result/1) that hold for built and failed alike."""
    for key, typ in RESULT_FIELDS.items():
        check(key in res, f"result.json lacks {key}", r)
        check(isinstance(res[key], typ) and not (typ in (int, float, (int, float)) and isinstance(res[key], bool)),
              f"result.json {key} has type {type(res[key]).__name__}: {res[key]!r}", r)
    check(res["format"] == "forge-result/1", f"format {res['format']!r}", r)
    check(res["feature_mode"] in ("all", "default") or (res["feature_mode"] is None and not res["argv"]),
          f"feature_mode {res['feature_mode']!r} (null only when no builder ran)", r)
    check(res["status"] in ("built", "failed"), f"status {res['status']!r}", r)
    check("reason" in res and "details" in res, "result.json lacks reason/details", r)
    check(all(isinstance(a, str) for a in res["argv"]), "argv holds only strings", r)
    check(res["duration_s"] >= 0, "duration_s >= 0", r)
    if res["status"] == "built":
        check(res["reason"] is None, f"reason must be null when built: {res['reason']!r}", r)
    else:
        check(isinstance(res["reason"], str) and res["reason"], f"failed needs a reason: {res['reason']!r}", r)


def log_path(res, result_dir):
    p = Path(res["log"])
    return p if p.is_absolute() else Path(result_dir) / p


def check_log(res, result_dir, r=None):
    p = log_path(res, result_dir)
    check(p.is_file(), f"log named in result.json is not a file: {p}", r)
    return p.read_text(encoding="utf-8", errors="replace")


def run_id(tag=""):
    return f"forge-e2e-{os.getpid()}-{tag}"
