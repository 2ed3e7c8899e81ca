"""Why: the relocatable bundle (docs/bundle.md) promises a forge that starts on any x86_64/aarch64 Linux: in a
GitHub Actions job on any image, on Fedora, in an empty container. The hard way to check that is a root
holding nothing but the bundle: bubblewrap gives forge a root with the unpacked bundle, /proc, /dev and the
files it works on, and no /usr, /lib or /etc. There it must print its version, ingest the sample dump into
the same queue as the development build, download over HTTPS with the certificates SSL_CERT_FILE names or
the system's bundle path (and refuse without them), and start `forge build` children through the launcher.

FORGE_BUNDLE is the tarball the e2e.bundle_build fixture made (`cmake --build <dir> --target bundle`).
"""
import http.server
import json
import os
import shutil
import socketserver
import ssl
import subprocess
import tarfile
import threading
from pathlib import Path

import buildenv
from harness import FIXTURES, SkipTest, check, load_json, main, run_forge

SAMPLE = FIXTURES / "sample" / "db-dump.tar.gz"


def bundle_tarball():
    path = os.environ.get("FORGE_BUNDLE", "")
    if not path or not Path(path).exists():
        raise SkipTest(f"no bundle at FORGE_BUNDLE={path!r} (the e2e.bundle_build fixture makes it)")
    return Path(path)


def unpack(tmp):
    with tarfile.open(bundle_tarball()) as tar:
        tar.extractall(tmp / "unpacked", filter="tar")
    (top,) = (tmp / "unpacked").iterdir()
    return top


class EmptyRoot:
    """bwrap with a root of its own: the bundle at /forge, /proc, /dev, a writable /work, given binds."""

    def __init__(self, bundle_dir, work):
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise SkipTest("bwrap is not installed (scripts/deps.sh test)")
        self.bundle, self.work = bundle_dir, work
        work.mkdir(parents=True, exist_ok=True)
        p = subprocess.run(["bwrap", "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
        if p.returncode != 0:
            raise SkipTest(f"bwrap cannot make a sandbox here: {p.stderr.strip()}")

    def run(self, *args, binds=(), env=None, timeout=300):
        argv = [self.bwrap, "--tmpfs", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                "--ro-bind", str(self.bundle), "/forge", "--bind", str(self.work), "/work", "--chdir", "/work",
                "--die-with-parent"]
        for src, dest in binds:
            argv += ["--ro-bind", str(src), dest]
        full_env = {"PATH": "/forge/bin", "HOME": "/work/home", "NO_COLOR": "1"}
        full_env.update(env or {})
        p = subprocess.run(argv + ["/forge/bin/forge", *map(str, args)], capture_output=True, text=True,
                           env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)
        return _Result(p)


class _Result:
    def __init__(self, p):
        self.code, self.out, self.err = p.returncode, p.stdout, p.stderr

    def __repr__(self):
        return f"exit={self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def test_layout(tmp):
    top = unpack(tmp)
    name = bundle_tarball().name[: -len(".tar.gz")]
    check(top.name == name, f"the tarball holds one directory named like it: {top.name}")
    lib = top / "lib" / "forge"
    info = buildenv.elf_info(top / "bin" / "forge")
    check(info["interp"] is None and not info["needed"], f"the launcher is fully static: {info}")
    forge = buildenv.elf_info(lib / "forge")
    for so in forge["needed"]:
        check((lib / so).is_file() and not (lib / so).is_symlink(), f"{so} is shipped as a file in lib/forge/")
    check(Path(forge["interp"]).name in os.listdir(lib), f"the loader {forge['interp']} is shipped")
    dynamic = " ".join(forge["needed"])
    for static in ("libcurl", "libarchive", "libgit2", "libssl", "libcrypto", "libz.", "libspdlog", "libfmt",
                   "libtomlplusplus", "libstdc++", "libgcc_s", "libnghttp2", "libxml2", "libicu"):
        check(static not in dynamic, f"{static} is linked statically, not needed at run time: {forge['needed']}")
    readelf = subprocess.run(["readelf", "-d", str(lib / "forge")], capture_output=True, text=True).stdout
    check("[$ORIGIN]" in readelf, f"forge finds its libraries through RUNPATH $ORIGIN:\n{readelf}")
    linking = (top / "share" / "doc" / "forge" / "LINKING.txt").read_text()
    check("libcurl.a" in linking and "libgit2.a" in linking, f"LINKING.txt names the archives:\n{linking}")
    copyrights = os.listdir(top / "share" / "doc" / "forge" / "copyright")
    check("libcurl4-openssl-dev" in copyrights and "libc6" in copyrights, f"licences shipped: {copyrights}")
    sha = bundle_tarball().with_name(bundle_tarball().name + ".sha256").read_text().split()
    check(sha[1] == bundle_tarball().name and sha[0] == buildenv.sha256(bundle_tarball()), f".sha256 file: {sha}")


def test_version_and_ingest_in_an_empty_root(tmp):
    root = EmptyRoot(unpack(tmp), tmp / "work")
    r = root.run("--version")
    check(r.code == 0 and r.out.startswith("forge ") and "libcurl" in r.out, "forge --version in an empty root", r)
    check("inflate: ISA-L" in r.out, "the bundle inflates with ISA-L", r)
    r = root.run("ingest", "--dump", "/data/db-dump.tar.gz", "--since", "2025-01-01", "--out", "/work/out",
                 binds=[(SAMPLE, "/data/db-dump.tar.gz")])
    check(r.code == 0, "forge ingest of the sample dump in an empty root", r)
    dev = run_forge("ingest", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "dev")
    check(dev.code == 0, "the development build's ingest", dev)
    for f in ("queue.json", "funnel.json"):
        a, b = load_json(tmp / "work" / "out" / f), load_json(tmp / "dev" / f)
        for doc in (a, b):
            doc.pop("generated_at", None)
            doc.get("dump", {}).pop("source", None)
        check(a == b, f"{f} is the development build's")
    r = root.run("ingest", "--dump", "/data/missing.tar.gz", "--out", "/work/out2")
    check(r.code == 6 and "forge: error:" in r.err and "/data/missing.tar.gz" in r.err, "errors as usual", r)


class _TlsServer:
    """HTTPS on 127.0.0.1 with a throwaway self-signed certificate, serving one directory."""

    def __init__(self, tmp, root_dir):
        if shutil.which("openssl") is None:
            raise SkipTest("openssl is not installed")
        self.cert, key = tmp / "ca.pem", tmp / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                        str(self.cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a):
                super().__init__(*a, directory=str(root_dir))

            def log_message(self, *args):
                pass

        handler = Quiet
        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert), str(key))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def test_https_certificates(tmp):
    root = EmptyRoot(unpack(tmp), tmp / "work")
    served = tmp / "served"
    served.mkdir()
    shutil.copy(SAMPLE, served / "db-dump.tar.gz")
    srv = _TlsServer(tmp, served)
    try:
        url = f"https://127.0.0.1:{srv.port}/db-dump.tar.gz"
        common = ["ingest", "--dump", url, "--since", "2025-01-01", "--download-attempts", "1"]
        r = root.run(*common, "--out", "/work/a", env={"SSL_CERT_FILE": "/certs/ca.pem", "HOME": "/work/home-a"},
                     binds=[(srv.cert, "/certs/ca.pem")])
        check(r.code == 0 and (tmp / "work" / "a" / "queue.json").exists(), "HTTPS with SSL_CERT_FILE", r)
        r = root.run(*common, "--out", "/work/b", env={"HOME": "/work/home-b"}, binds=[(srv.cert, "/etc/ssl/certs/ca-certificates.crt")])
        check(r.code == 0, "HTTPS with the system's CA bundle where Debian keeps it", r)
        r = root.run(*common, "--out", "/work/c", env={"HOME": "/work/home-c"}, binds=[(srv.cert, "/etc/pki/tls/certs/ca-bundle.crt")])
        check(r.code == 0, "HTTPS with the CA bundle where Fedora keeps it", r)
        r = root.run(*common, "--out", "/work/d", env={"HOME": "/work/home-d"})
        check(r.code == 5 and "SSL_CERT_FILE" in r.err and url in r.err,
              "without any trusted certificate the download fails, naming the URL and SSL_CERT_FILE", r)
        check(not (tmp / "work" / "d" / "queue.json").exists(), "and writes nothing", r)
    finally:
        srv.stop()


def test_run_starts_children_through_the_launcher(tmp):
    """forge run's jobs are `forge build` children of the same forge; in the bundle /proc/self/exe is the
    loader, so they must be started through bin/forge. No cargo in the root: each job fails as
    builder-missing, which only a child forge that started can report."""
    root = EmptyRoot(unpack(tmp), tmp / "work")
    reg = buildenv.Registry(tmp)
    try:
        checksum = reg.add_fixture("fx-ok", "0.1.0")
        buildenv.write_queue(tmp / "work" / "queue.json", [{"name": "fx-ok", "version": "0.1.0", "checksum": checksum,
                                                            "bin_names": ["fx-ok"]}])
        r = root.run("run", "--queue", "/work/queue.json", "--out", "/work/out", "--target",
                     "x86_64-unknown-linux-gnu", "--retries", "0", "--", "--builder", "cargo", "--cargo",
                     "/nowhere/cargo", "--toolchain", "", "--index-url", reg.index_url, "--crate-url",
                     reg.crate_url_template(), "--sandbox", "none")
        lines = [json.loads(l) for l in (tmp / "work" / "out" / "journal.ndjson").read_text().splitlines() if l]
        check(len(lines) == 1 and lines[0]["status"] == "failed", f"one job ran: {lines}", r)
        result = load_json(next((tmp / "work" / "out").rglob("result.json")))
        check(result["reason"] == "builder-missing" and result["crate"] == "fx-ok",
              f"the child forge ran and found no cargo: {result}", r)
    finally:
        reg.stop()


if __name__ == "__main__":
    main([test_layout, test_version_and_ingest_in_an_empty_root, test_https_certificates,
          test_run_starts_children_through_the_launcher])
