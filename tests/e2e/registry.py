"""Why: `forge publish` is only proven against a real OCI registry. This module starts Debian's
`docker-registry` (the CNCF distribution registry) on 127.0.0.1 with a temp storage dir, optionally behind
htpasswd Basic auth or token auth (a local token endpoint signing RS256 JWTs with openssl), and a fault
proxy that sits in front of it to fail or cut chosen requests. It also pulls artifacts back independently
of forge (urllib + hashlib + b3sum).

    reg = RegistryServer(tmp, auth=None | "htpasswd" | "token", users={"u": "p"}); reg.start()
    reg.host -> "127.0.0.1:PORT"; reg.requests() -> [(method, path, status)] from its access log
    proxy = FaultProxy(reg.port); proxy.start(); proxy.fail("PUT", r"/manifests/", 500, times=1)
    proxy.cut("PATCH", r"/blobs/uploads/", after=40000, times=1); proxy.log -> [(method, path, status)]
    pull_manifest(base_url, repo, tag, auth=None) / pull_blob(base_url, repo, digest, auth=None)
"""
import base64
import json
import os
import re
import shutil
import socket
import socketserver
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import SkipTest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ACCESS_RE = re.compile(r'"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/[\d.]+" (\d{3})')


def registry_program():
    for cand in (shutil.which("docker-registry"), "/usr/bin/docker-registry"):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise SkipTest("docker-registry is not installed (scripts/test-deps.sh installs it)")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bcrypt_line(user, password):
    """An htpasswd line with a bcrypt hash (the only kind the registry accepts)."""
    htpasswd = shutil.which("htpasswd")
    if htpasswd:
        out = subprocess.run([htpasswd, "-Bbn", user, password], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    try:
        import crypt  # noqa: PLC0415 - libxcrypt on Debian does bcrypt; deprecated but present in 3.11
        return f"{user}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))}"
    except Exception as e:  # noqa: BLE001
        raise SkipTest(f"no way to write a bcrypt htpasswd entry (apache2-utils missing): {e}") from e


def _http(method, url, headers=None, body=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    """A token endpoint like GHCR's: Basic credentials in, a JWT the registry trusts out (RS256, signed by
    openssl with a throwaway key whose self-signed certificate is the registry's root bundle)."""

    def __init__(self, tmp, users, service="forge-test-registry", issuer="forge-test-issuer", lifetime=300):
        if shutil.which("openssl") is None:
            raise SkipTest("openssl is not installed")
        self.dir = Path(tmp) / "token"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.key = self.dir / "key.pem"
        self.cert = self.dir / "cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key),
                        "-out", str(self.cert), "-days", "2", "-subj", "/CN=forge-test-token"],
                       capture_output=True, check=True)
        der = subprocess.run(["openssl", "x509", "-in", str(self.cert), "-outform", "DER"], capture_output=True,
                             check=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.users = dict(users)
        self.service, self.issuer, self.lifetime = service, issuer, lifetime
        self.log = []  # (user or None, scope, status)
        self.issued = []  # every token handed out, to check forge never prints one
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self._server = None

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)], input=signing_input.encode(),
                             capture_output=True, check=True).stdout
        return f"{signing_input}.{_b64url(sig)}"

    def start(self):
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                scope = query.get("scope", [""])[0]
                user = None
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                    if issuer.users.get(user) != password:
                        return self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]}, user, scope)
                else:
                    return self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]}, None, scope)
                access = []
                if scope.startswith("repository:"):
                    _, name, actions = scope.split(":", 2)
                    access.append({"type": "repository", "name": name, "actions": actions.split(",")})
                now = int(time.time())
                token = issuer.sign({"iss": issuer.issuer, "sub": user, "aud": issuer.service, "exp":
                                     now + issuer.lifetime, "nbf": now - 30, "iat": now, "jti": uuid.uuid4().hex,
                                     "access": access})
                issuer.issued.append(token)
                return self._answer(200, {"token": token, "access_token": token, "expires_in": issuer.lifetime},
                                    user, scope)

            def _answer(self, status, doc, user, scope):
                issuer.log.append((user, scope, status))
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def token_for(self, user, password, repo, actions="pull"):
        """A token fetched the way a client would (for the test's own pulls)."""
        query = urllib.parse.urlencode({"service": self.service, "scope": f"repository:{repo}:{actions}"})
        status, _, body = _http("GET", f"{self.realm}?{query}", _auth_headers((user, password)))
        if status != 200:
            raise AssertionError(f"token endpoint: HTTP {status}")
        return json.loads(body)["token"]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # no getfqdn(): it can stall without a network
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class RegistryServer:
    """`docker-registry serve` on 127.0.0.1:<free port>, storage under tmp, access log captured."""

    def __init__(self, tmp, auth=None, users=None, token_issuer=None):
        self.program = registry_program()
        self.dir = Path(tmp) / f"registry-{uuid.uuid4().hex[:8]}"
        self.dir.mkdir(parents=True)
        self.auth, self.users, self.token_issuer = auth, users or {}, token_issuer
        self.proc = None
        self.port = None
        self.log_path = self.dir / "registry.log"

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"http://{self.host}"

    def _config(self):
        lines = ["version: 0.1", "log:", "  level: info", "  accesslog:", "    disabled: false", "storage:",
                 "  filesystem:", f"    rootdirectory: {self.dir / 'data'}", "  delete:", "    enabled: true",
                 "http:", f"  addr: 127.0.0.1:{self.port}", f"  secret: {uuid.uuid4().hex}"]
        if self.auth == "htpasswd":
            htpasswd = self.dir / "htpasswd"
            htpasswd.write_text("".join(bcrypt_line(u, p) + "\n" for u, p in self.users.items()), encoding="utf-8")
            lines += ["auth:", "  htpasswd:", "    realm: forge-test", f"    path: {htpasswd}"]
        elif self.auth == "token":
            t = self.token_issuer
            lines += ["auth:", "  token:", f"    realm: {t.realm}", f"    service: {t.service}",
                      f"    issuer: {t.issuer}", f"    rootcertbundle: {t.cert}"]
        return "\n".join(lines) + "\n"

    def start(self):
        for _ in range(5):
            self.port = free_port()
            config = self.dir / "config.yml"
            config.write_text(self._config(), encoding="utf-8")
            log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process
            self.proc = subprocess.Popen([self.program, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            log.close()
            deadline = time.time() + 60
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    status, _, _ = _http("GET", self.url + "/v2/", timeout=2)
                    if status in (200, 401):
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            self.stop()  # the port was taken in between, or it did not come up: try another port
        raise AssertionError(f"docker-registry did not start; log:\n{self.log_text()[-3000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_text(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def requests(self):
        """(method, path, status) of every request, in order, from the registry's access log."""
        return [(m.group(1), m.group(2), int(m.group(3))) for m in ACCESS_RE.finditer(self.log_text())]


class FaultProxy:
    """An HTTP proxy in front of the registry that forwards requests unchanged (Host header included, so
    the registry's upload Locations point back at the proxy) unless a rule says to answer with an error
    status or to cut the connection after `after` bytes of the request body (those bytes are forwarded
    first, so the registry sees a truncated upload)."""

    def __init__(self, upstream_port, latency=0.0):
        self.upstream_port = upstream_port
        self.latency = latency  # seconds added to every request (bench/publish.py: a distant registry)
        self.port = free_port()
        self.rules = []  # [kind, method, regex, arg, times_left, matches_to_skip]
        self.log = []  # (method, path, status or "cut" / "failed:<status>")
        self.lock = threading.Lock()
        self._server = None

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def fail(self, method, path_regex, status, times=None, skip=0):
        """Answer `status` to matching requests (after letting `skip` of them through)."""
        self.rules.append(["fail", method, re.compile(path_regex), status, times, skip])

    def cut(self, method, path_regex, after, times=None, skip=0):
        """Forward `after` bytes of a matching request's body, then close both connections (after=0: drop
        the request without contacting the registry)."""
        self.rules.append(["cut", method, re.compile(path_regex), after, times, skip])

    def tamper(self, method, path_regex, old, new, times=None):
        """Replace bytes `old` by `new` in matching response bodies."""
        self.rules.append(["tamper", method, re.compile(path_regex), (old, new), times, 0])

    def _take(self, method, path, kinds):
        with self.lock:
            for rule in self.rules:
                kind, m, rx, arg, times, skip = rule
                if kind in kinds and m == method and rx.search(path) and (times is None or times > 0):
                    if skip > 0:
                        rule[5] -= 1
                        continue
                    if times is not None:
                        rule[4] -= 1
                    return kind, arg
        return None, None

    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _proxy(self):
                method, path = self.command, self.path
                if proxy.latency:
                    time.sleep(proxy.latency)
                length = int(self.headers.get("Content-Length") or 0)
                kind, arg = proxy._take(method, path, ("fail", "cut"))
                if kind == "fail":
                    body = self.rfile.read(length) if length else b""
                    del body
                    with proxy.lock:
                        proxy.log.append((method, path, f"failed:{arg}"))
                    msg = b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}'
                    self.send_response(arg)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    if method != "HEAD":
                        self.wfile.write(msg)
                    return
                if kind == "cut" and arg == 0:
                    # Dropped before the registry saw anything: its upload session is untouched.
                    with proxy.lock:
                        proxy.log.append((method, path, "dropped"))
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                up = socket.create_connection(("127.0.0.1", proxy.upstream_port), timeout=60)
                try:
                    head = f"{method} {path} HTTP/1.1\r\n"
                    for name, value in self.headers.items():
                        if name.lower() not in ("connection", "proxy-connection", "keep-alive"):
                            head += f"{name}: {value}\r\n"
                    head += "Connection: close\r\n\r\n"
                    up.sendall(head.encode("latin-1"))
                    left = length
                    if kind == "cut":
                        sent = 0
                        while sent < min(arg, length):
                            chunk = self.rfile.read(min(65536, min(arg, length) - sent))
                            if not chunk:
                                break
                            up.sendall(chunk)
                            sent += len(chunk)
                        with proxy.lock:
                            proxy.log.append((method, path, "cut"))
                        up.close()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    while left > 0:
                        chunk = self.rfile.read(min(65536, left))
                        if not chunk:
                            break
                        up.sendall(chunk)
                        left -= len(chunk)
                    raw = b""
                    while True:
                        data = up.recv(65536)
                        if not data:
                            break
                        raw += data
                except OSError as e:
                    # The registry dropped the connection: so does the proxy, towards the client.
                    with proxy.lock:
                        proxy.log.append((method, path, f"upstream-error:{e.__class__.__name__}"))
                    self.close_connection = True
                    return
                finally:
                    up.close()
                head_end = raw.find(b"\r\n\r\n")
                status_line, *header_lines = raw[:head_end].decode("latin-1").split("\r\n")
                body = raw[head_end + 4:]
                status = int(status_line.split()[1])
                if any(l.lower().replace(" ", "") == "transfer-encoding:chunked" for l in header_lines):
                    body = _dechunk(body)
                t_kind, t_arg = proxy._take(method, path, ("tamper",))
                if t_kind == "tamper":
                    body = body.replace(t_arg[0], t_arg[1])
                with proxy.lock:
                    proxy.log.append((method, path, status))
                self.send_response_only(status, status_line.split(" ", 2)[2] if status_line.count(" ") >= 2 else "")
                for line in header_lines:
                    name, _, value = line.partition(":")
                    if name.lower() in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                        continue
                    self.send_header(name, value.strip())
                if method != "HEAD":
                    self.send_header("Content-Length", str(len(body)))
                else:
                    cl = [l for l in header_lines if l.lower().startswith("content-length:")]
                    if cl:
                        self.send_header("Content-Length", cl[0].split(":", 1)[1].strip())
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _proxy  # noqa: N815

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def _dechunk(data):
    out, pos = b"", 0
    while True:
        eol = data.find(b"\r\n", pos)
        size = int(data[pos:eol].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[eol + 2:eol + 2 + size]
        pos = eol + 2 + size + 2


# -- independent pulls ------------------------------------------------------------------------------------

def _auth_headers(auth):
    """None, (user, password) for Basic, or a token string for Bearer."""
    if auth is None:
        return {}
    if isinstance(auth, str):
        return {"Authorization": "Bearer " + auth}
    return {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()}


def pull_manifest(base_url, repo, ref, auth=None):
    status, headers, body = _http("GET", f"{base_url}/v2/{repo}/manifests/{ref}",
                                  {"Accept": OCI_MANIFEST, **_auth_headers(auth)})
    return status, headers, body


def pull_blob(base_url, repo, digest, auth=None):
    status, _, body = _http("GET", f"{base_url}/v2/{repo}/blobs/{digest}", _auth_headers(auth))
    if status != 200:
        raise AssertionError(f"GET blob {digest} of {repo}: HTTP {status}")
    return body


def tags(base_url, repo, auth=None):
    status, _, body = _http("GET", f"{base_url}/v2/{repo}/tags/list", _auth_headers(auth))
    if status == 404:
        return []
    if status != 200:
        raise AssertionError(f"GET tags of {repo}: HTTP {status}")
    return json.loads(body).get("tags") or []
