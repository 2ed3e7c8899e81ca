"""Why: forge's downloader must be tested offline; this loopback HTTP/1.1 server serves a directory with
ETag/Last-Modified/Range support and can be scripted to redirect, fail, cut or ignore Range per path.

As a module:
    srv = TestServer(root_dir); srv.start(); url = srv.url("/x"); ...; srv.stop()
    srv.redirect("/old", "/new"); srv.fail("/x", 500, times=2); srv.cut("/x", 1000, times=1)
    srv.ignore_range("/x"); srv.delay("/x", 2.0, times=1); srv.log -> [{"method", "path", "headers"}]

As a script (used by the C++ unit tests):
    python3 httpserver.py ROOT [--script SCENARIO.json] [--log REQUESTS.jsonl] [--port N]
prints the port on the first line of stdout, then serves until killed. SCENARIO.json is a list of
{"op": "redirect"|"fail"|"cut"|"ignore_range"|"delay", "path": ..., other arguments of that method}.
Every request is appended to REQUESTS.jsonl as one JSON object per line.
"""
import argparse
import email.utils
import json
import os
import posixpath
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall without a network.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]


class _Rule:
    def __init__(self, kind, times=None, **args):
        self.kind = kind
        self.times = times  # None = forever
        self.args = args


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "forge-test-httpserver"

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        if self.server.owner.verbose:
            sys.stderr.write("httpserver: " + (format % args) + "\n")

    def do_GET(self):
        self._handle(head=False)

    def do_HEAD(self):
        self._handle(head=True)

    # -- helpers -----------------------------------------------------------------------------------

    def _send_simple(self, status, body=b"", headers=None, head=False):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def _handle(self, head):
        owner = self.server.owner
        path = urllib.parse.urlsplit(self.path).path
        owner._record(self.command, path, self.headers)

        delay = owner._take(path, "delay")
        if delay is not None:
            time.sleep(delay.args["seconds"])
        rule = owner._take(path, "redirect")
        if rule is not None:
            target = rule.args["to"]
            if target.startswith("/"):
                target = owner.url(target)
            self._send_simple(rule.args.get("status", 302), b"redirect\n", {"Location": target}, head)
            return
        rule = owner._take(path, "fail")
        if rule is not None:
            status = rule.args["status"]
            headers = {}
            if rule.args.get("retry_after") is not None:
                headers["Retry-After"] = str(rule.args["retry_after"])
            self._send_simple(status, f"scripted failure {status}\n".encode(), headers, head)
            return

        file_path = owner._resolve(path)
        if file_path is None or not os.path.isfile(file_path):
            self._send_simple(404, b"not found\n", head=head)
            return
        with open(file_path, "rb") as f:
            data = f.read()
        st = os.stat(file_path)
        etag = '"%x-%x"' % (st.st_mtime_ns, st.st_size)
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        validators = {"ETag": etag, "Last-Modified": last_modified, "Accept-Ranges": "bytes"}

        if self._not_modified(etag, int(st.st_mtime)):
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return

        start, end = 0, len(data)  # end exclusive
        status = 200
        range_header = self.headers.get("Range")
        if range_header and not owner._has(path, "ignore_range") and self._if_range_ok(etag, last_modified):
            parsed = _parse_range(range_header, len(data))
            if parsed == "unsatisfiable":
                self._send_simple(416, b"range not satisfiable\n",
                                  {"Content-Range": "bytes */%d" % len(data)}, head)
                return
            if parsed is not None:
                start, end = parsed
                status = 206

        body = data[start:end]
        self.send_response(status)
        for name, value in validators.items():
            self.send_header(name, value)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        cut = owner._take(path, "cut")
        if cut is not None:
            self.wfile.write(body[: cut.args["after_bytes"]])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)

    def _not_modified(self, etag, mtime):
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return "*" in tags or etag in tags or ("W/" + etag) in tags
        ims = self.headers.get("If-Modified-Since")
        if ims is not None:
            try:
                when = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return mtime <= int(when)
        return False

    def _if_range_ok(self, etag, last_modified):
        value = self.headers.get("If-Range")
        return value is None or value.strip() in (etag, last_modified)


def _parse_range(header, size):
    """Returns (start, end_exclusive), "unsatisfiable", or None to ignore (multi-range, malformed)."""
    if not header.startswith("bytes=") or "," in header:
        return None
    spec = header[len("bytes="):].strip()
    first, sep, last = spec.partition("-")
    if not sep:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return "unsatisfiable"
            return max(0, size - suffix), size
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if start >= size:
        return "unsatisfiable"
    if end <= start:
        return None
    return start, min(end, size)


class TestServer:
    """A threaded loopback HTTP/1.1 server over `root_dir` with per-path scripted faults."""

    __test__ = False  # not a pytest test class

    def __init__(self, root_dir, port=0, log_file=None, verbose=False):
        self.root = os.path.abspath(str(root_dir))
        self.log = []
        self.verbose = verbose
        self._log_file = log_file
        self._lock = threading.Lock()
        self._rules = {}
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.owner = self
        self._thread = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, path="/"):
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    def start(self):
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="httpserver", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self._httpd.serve_forever()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- scripting -------------------------------------------------------------------------------

    def redirect(self, path, to, status=302, times=None):
        self._add(path, _Rule("redirect", times, to=to, status=status))

    def fail(self, path, status, times=1, retry_after=None):
        self._add(path, _Rule("fail", times, status=status, retry_after=retry_after))

    def cut(self, path, after_bytes, times=1):
        self._add(path, _Rule("cut", times, after_bytes=after_bytes))

    def ignore_range(self, path, times=None):
        self._add(path, _Rule("ignore_range", times))

    def delay(self, path, seconds, times=1):
        self._add(path, _Rule("delay", times, seconds=seconds))

    def clear(self, path=None):
        with self._lock:
            if path is None:
                self._rules.clear()
            else:
                self._rules.pop(path, None)

    def requests(self, path=None):
        with self._lock:
            return [r for r in self.log if path is None or r["path"] == path]

    def clear_log(self):
        with self._lock:
            self.log.clear()

    def apply_script(self, entries):
        for entry in entries:
            entry = dict(entry)
            op = entry.pop("op")
            if op not in ("redirect", "fail", "cut", "ignore_range", "delay"):
                raise ValueError("unknown scenario op %r" % op)
            getattr(self, op)(**entry)

    # -- internals -------------------------------------------------------------------------------

    def _add(self, path, rule):
        with self._lock:
            self._rules.setdefault(path, []).append(rule)

    def _has(self, path, kind):
        return self._take(path, kind) is not None

    def _take(self, path, kind):
        """The first live rule of `kind` for `path`, consuming one of its `times`."""
        with self._lock:
            for rule in self._rules.get(path, []):
                if rule.kind != kind:
                    continue
                if rule.times is None:
                    return rule
                if rule.times > 0:
                    rule.times -= 1
                    return rule
            return None

    def _record(self, method, path, headers):
        entry = {"method": method, "path": path, "headers": {k: v for k, v in headers.items()}}
        with self._lock:
            self.log.append(entry)
            if self._log_file is not None:
                with open(self._log_file, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry) + "\n")

    def _resolve(self, url_path):
        rel = posixpath.normpath(urllib.parse.unquote(url_path)).lstrip("/")
        if rel.startswith("..") or rel in ("", "."):
            return None
        full = os.path.join(self.root, *rel.split("/"))
        if not os.path.abspath(full).startswith(self.root + os.sep):
            return None
        return full


def main(argv=None):
    parser = argparse.ArgumentParser(description="forge test HTTP server (loopback only)")
    parser.add_argument("root")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON list of scripted faults")
    parser.add_argument("--log", help="append each request as a JSON line to this file")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = TestServer(args.root, port=args.port, log_file=args.log, verbose=args.verbose)
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            server.apply_script(json.load(f))
    print(server.port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
