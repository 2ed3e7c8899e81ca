"""End-to-end: `forge ingest` on broken dumps and failing URLs.

Every case must fail with exactly one `forge: error:` line naming the file (with the CSV line number where
one applies) or the URL, the documented exit code (3 archive, 4 data, 5 network), and must leave a
pre-existing queue.json/funnel.json in --out byte-for-byte untouched, with no new files."""
import gzip
import io
import sys
import tarfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import FIXTURES, check, expect_error, main, run_forge  # noqa: E402

sys.path.insert(0, str(FIXTURES))
import dumpcheck  # noqa: E402
import gen_dump  # noqa: E402
from dump_tar import read_entries, write_entries  # noqa: E402

EXIT_ARCHIVE, EXIT_DATA, EXIT_NETWORK = 3, 4, 5
SENTINEL_QUEUE = b'{"sentinel": "queue.json written by the test, must survive"}\n'
SENTINEL_FUNNEL = b'{"sentinel": "funnel.json"}\n'


def make_dump(tmp, name="good.tar.gz", *extra):
    path = Path(tmp) / name
    gen_dump.generate(gen_dump.parse_args(
        ["--out", str(path), "--seed", "5", "--crates", "200", "--versions-per-crate", "3", "--deps-per-version", "1",
         "--version-downloads", "2000", "--readme-bytes", "400", *extra]))
    return path


def edit_dump(src, dst, table, fn):
    """Applies fn(text) -> text (or None to drop the entry) to data/<table>."""
    entries = []
    found = False
    for info, data in read_entries(src):
        if info.isfile() and info.name.split("/")[-2:] == ["data", table]:
            found = True
            text = fn(data.decode("utf-8"))
            if text is None:
                continue
            data = text.encode("utf-8")
        entries.append((info, data))
    check(found, f"fixture has no data/{table}")
    write_entries(entries, dst)
    return dst


def records(text, name):
    return list(dumpcheck.iter_records(text, name))


def encode(fields):
    return ",".join(gen_dump.q(f) for f in fields)


def prepare_out(tmp):
    out = Path(tmp) / "out"
    out.mkdir()
    (out / "queue.json").write_bytes(SENTINEL_QUEUE)
    (out / "funnel.json").write_bytes(SENTINEL_FUNNEL)
    return out


def check_untouched(out):
    names = sorted(p.name for p in out.iterdir())
    check(names == ["funnel.json", "queue.json"], f"--out gained or lost files: {names}")
    check((out / "queue.json").read_bytes() == SENTINEL_QUEUE, "queue.json was modified")
    check((out / "funnel.json").read_bytes() == SENTINEL_FUNNEL, "funnel.json was modified")


def fails(tmp, dump, code, *fragments, since="2025-01-01"):
    out = prepare_out(tmp)
    r = run_forge("ingest", "--dump", str(dump), "--since", since, "--out", str(out))
    expect_error(r, code, *fragments)
    check_untouched(out)
    return r


def error_line(r):
    return [l for l in r.err.splitlines() if l.startswith("forge: error:")][0]


# -- archive errors (exit 3) ------------------------------------------------------------------------

def test_not_gzip(tmp):
    bad = Path(tmp) / "notgzip.tar.gz"
    bad.write_text("this is a text file, not a gzip stream\n" * 20)
    fails(tmp, bad, EXIT_ARCHIVE, str(bad))


def test_truncated_gzip(tmp):
    good = make_dump(tmp)
    data = good.read_bytes()
    bad = Path(tmp) / "truncated.tar.gz"
    bad.write_bytes(data[: len(data) // 2])
    # fixture self-check: the cut must fall before the end of the tables forge needs (it may stop reading
    # after default_versions.csv, so a cut inside dependencies/version_downloads could go unnoticed)
    partial = zlib.decompressobj(31).decompress(data[: len(data) // 2])
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as t:
        need_end = max(m.offset_data + m.size for m in t.getmembers() if m.name.endswith("/default_versions.csv"))
    check(len(partial) < need_end, f"fixture: cut at {len(partial)} is past the needed tables ({need_end})")
    fails(tmp, bad, EXIT_ARCHIVE, str(bad))


def test_truncated_tar(tmp):
    good = make_dump(tmp)
    raw = gzip.decompress(good.read_bytes())
    # cut in the middle of data/versions.csv (a table forge needs), then gzip the cut tar properly
    offset = None
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as t:
        for m in t.getmembers():
            if m.name.endswith("/data/versions.csv"):
                offset = m.offset_data + m.size // 2
    check(offset is not None, "no versions.csv in fixture")
    bad = Path(tmp) / "truncated-tar.tar.gz"
    bad.write_bytes(gzip.compress(raw[:offset], mtime=0))
    fails(tmp, bad, EXIT_ARCHIVE, str(bad))


def test_empty_file(tmp):
    bad = Path(tmp) / "empty.tar.gz"
    bad.write_bytes(b"")
    fails(tmp, bad, EXIT_ARCHIVE, str(bad))


# -- data errors (exit 4) ---------------------------------------------------------------------------

def test_unterminated_quote(tmp):
    good = make_dump(tmp)
    state = {}

    def fn(text):
        recs = records(text, "crates.csv")
        start, _ = recs[-1]
        state["lines"] = {start, text.count("\n"), text.count("\n") + 1}
        body = text.rstrip("\n")
        i = body.rfind(",")  # the last field (updated_at) is never quoted: open a quote there
        return body[: i + 1] + '"' + body[i + 1:] + "\n"
    bad = edit_dump(good, Path(tmp) / "unterminated.tar.gz", "crates.csv", fn)
    r = fails(tmp, bad, EXIT_DATA, "data/crates.csv:")
    line = error_line(r)
    check(any(f"data/crates.csv:{n}" in line for n in state["lines"]),
          f"error should name the record's line (one of {sorted(state['lines'])}): {line}")


def test_wrong_field_count(tmp):
    """A record with one field too few, placed after multi-line records: the line number is physical."""
    good = make_dump(tmp)
    state = {}

    def fn(text):
        recs = records(text, "crates.csv")
        lines = text.split("\n")
        for k in range(6, len(recs) - 1):
            start, _ = recs[k]
            if recs[k + 1][0] == start + 1 and recs[k - 1][0] < start - 1:  # single line, after a multi-line one
                state["line"] = start
                row = lines[start - 1]
                lines[start - 1] = row[: row.rfind(",")]
                return "\n".join(lines)
        raise AssertionError("no suitable record")
    bad = edit_dump(good, Path(tmp) / "fields.tar.gz", "crates.csv", fn)
    check(state["line"] > 7, "fixture: the bad record should not be near the top")
    fails(tmp, bad, EXIT_DATA, f"data/crates.csv:{state['line']}")


def test_extra_field(tmp):
    good = make_dump(tmp)

    def fn(text):
        lines = text.split("\n")
        lines[4] += ",12345"  # line 5
        return "\n".join(lines)
    bad = edit_dump(good, Path(tmp) / "extra.tar.gz", "crate_downloads.csv", fn)
    fails(tmp, bad, EXIT_DATA, "data/crate_downloads.csv:5")


def test_missing_table(tmp):
    good = make_dump(tmp)  # 2026 schema: deleted_crates.csv is present and must not stand in for crates.csv
    bad = edit_dump(good, Path(tmp) / "nocrates.tar.gz", "crates.csv", lambda text: None)
    fails(tmp, bad, EXIT_DATA, "crates.csv")


def test_missing_column(tmp):
    good = make_dump(tmp)

    def fn(text):
        recs = records(text, "versions.csv")
        i = recs[0][1].index("num")
        return "".join(encode(f[:i] + f[i + 1:]) + "\n" for _, f in recs)
    bad = edit_dump(good, Path(tmp) / "nonum.tar.gz", "versions.csv", fn)
    r = fails(tmp, bad, EXIT_DATA, "data/versions.csv")
    check("num" in error_line(r).split("data/versions.csv", 1)[1], f"error should name column num: {error_line(r)}")


# -- network errors (exit 5) ------------------------------------------------------------------------

class _Fallback:
    """Minimal server used only if tests/e2e/httpserver.py is unavailable: always answers `status`."""

    def __init__(self, status):
        st = status

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"nope\n"
                self.send_response(st)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self):
        self.httpd.shutdown()


def _server(tmp, status, path):
    try:
        from httpserver import TestServer
    except ImportError:
        return _Fallback(status)
    srv = TestServer(str(tmp))
    srv.start()
    if status != 404:
        srv.fail(path, status, times=1000)
    return srv


def test_unreachable_url(tmp):
    url = "http://127.0.0.1:9/db-dump.tar.gz"  # port 9 (discard): nothing listens
    fails(tmp, url, EXIT_NETWORK, "127.0.0.1:9")


def test_http_404(tmp):
    srv = _server(tmp, 404, "/missing.tar.gz")
    try:
        url = srv.url("/missing.tar.gz")
        r = fails(tmp, url, EXIT_NETWORK, url)
        check("404" in error_line(r), f"error should give the status: {error_line(r)}")
    finally:
        srv.stop()


def test_http_500(tmp):
    (Path(tmp) / "db-dump.tar.gz").write_bytes(b"never served")
    srv = _server(tmp, 500, "/db-dump.tar.gz")
    try:
        url = srv.url("/db-dump.tar.gz")
        r = fails(tmp, url, EXIT_NETWORK, url)
        check("500" in error_line(r), f"error should give the status: {error_line(r)}")
    finally:
        srv.stop()


if __name__ == "__main__":
    main([test_not_gzip, test_truncated_gzip, test_truncated_tar, test_empty_file, test_unterminated_quote,
          test_wrong_field_count, test_extra_field, test_missing_table, test_missing_column, test_unreachable_url,
          test_http_404, test_http_500])
