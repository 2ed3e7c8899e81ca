"""`forge ingest --dump URL` through a loopback HTTP server: redirects, resume, 304, retries, 404."""
import shutil

from harness import FIXTURES, check, expect_error, load_json, main, run_forge
from httpserver import TestServer

SAMPLE = FIXTURES / "sample" / "db-dump.tar.gz"


def setup(tmp):
    root = tmp / "www"
    root.mkdir()
    shutil.copy(SAMPLE, root / "db-dump.tar.gz")
    srv = TestServer(root)
    srv.start()
    env = {"XDG_CACHE_HOME": str(tmp / "cache")}
    return srv, env


def ingest(srv, env, tmp, url_path="/db-dump.tar.gz", *extra):
    return run_forge("ingest", "--dump", srv.url(url_path), "--since", "2025-01-01", "--out", tmp / "out",
                     "--download-backoff", "0.05", *extra, env=env)


def test_download_follows_redirect_and_matches_local_run(tmp):
    srv, env = setup(tmp)
    try:
        srv.redirect("/latest", "/db-dump.tar.gz")
        r = ingest(srv, env, tmp, "/latest")
        check(r.code == 0, "ingest over HTTP", r)
        cached = tmp / "cache" / "forge" / "latest"
        check(cached.exists() and cached.read_bytes() == SAMPLE.read_bytes(), "dump cached byte-identical", r)
        local = run_forge("ingest", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "local", "-q")
        check(local.code == 0, "local ingest", local)
        a = load_json(tmp / "out" / "queue.json")
        b = load_json(tmp / "local" / "queue.json")
        check(a["crates"] == b["crates"], "same queue over HTTP as from the file", r)
        check(a["dump"]["source"] == srv.url("/latest"), "dump.source is the URL", r)
    finally:
        srv.stop()


def test_second_run_is_not_modified(tmp):
    srv, env = setup(tmp)
    try:
        check(ingest(srv, env, tmp).code == 0, "first run")
        srv.clear_log()
        r = ingest(srv, env, tmp)
        check(r.code == 0, "second run", r)
        reqs = srv.requests("/db-dump.tar.gz")
        check(len(reqs) == 1, f"one conditional request, got {len(reqs)}", r)
        headers = {k.lower(): v for k, v in reqs[0]["headers"].items()}
        check("if-none-match" in headers or "if-modified-since" in headers, "conditional GET sent", r)
        check("not changed" in r.err, "says the cached dump is current", r)
    finally:
        srv.stop()


def test_resume_after_cut_connection(tmp):
    srv, env = setup(tmp)
    try:
        srv.cut("/db-dump.tar.gz", 100_000, times=1)
        r = ingest(srv, env, tmp)
        check(r.code == 0, "ingest succeeds after a cut", r)
        reqs = srv.requests("/db-dump.tar.gz")
        ranges = [q["headers"].get("Range") or q["headers"].get("range") for q in reqs]
        check(len(reqs) == 2 and ranges[1] == "bytes=100000-", f"second request resumes: {ranges}", r)
        check((tmp / "cache" / "forge" / "db-dump.tar.gz").read_bytes() == SAMPLE.read_bytes(), "intact", r)
    finally:
        srv.stop()


def test_interrupted_download_resumes_on_next_run(tmp):
    srv, env = setup(tmp)
    try:
        # Every try is cut: the run fails, but the partial file is kept for the next run.
        srv.cut("/db-dump.tar.gz", 50_000, times=2)
        r = ingest(srv, env, tmp, "/db-dump.tar.gz", "--download-attempts", "1")
        expect_error(r, 5, srv.url("/db-dump.tar.gz"))
        check(not (tmp / "out" / "queue.json").exists(), "no queue after a failed download", r)
        r = ingest(srv, env, tmp, "/db-dump.tar.gz", "--download-attempts", "1")
        expect_error(r, 5)
        srv.clear_log()
        r = ingest(srv, env, tmp)
        check(r.code == 0, "third run completes", r)
        rng = srv.requests("/db-dump.tar.gz")[0]["headers"].get("Range")
        check(rng is not None and rng.startswith("bytes=") and rng != "bytes=0-", f"resumed with {rng}", r)
    finally:
        srv.stop()


def test_server_error_then_success(tmp):
    srv, env = setup(tmp)
    try:
        srv.fail("/db-dump.tar.gz", 500, times=2)
        r = ingest(srv, env, tmp)
        check(r.code == 0, "retried through two 500s", r)
        check(len(srv.requests("/db-dump.tar.gz")) == 3, "three requests", r)
    finally:
        srv.stop()


def test_not_found_is_a_network_error(tmp):
    srv, env = setup(tmp)
    try:
        (tmp / "out").mkdir()
        (tmp / "out" / "queue.json").write_text("sentinel")
        r = ingest(srv, env, tmp, "/missing.tar.gz")
        expect_error(r, 5, srv.url("/missing.tar.gz"), "404")
        check((tmp / "out" / "queue.json").read_text() == "sentinel", "queue.json untouched", r)
        check(len(srv.requests("/missing.tar.gz")) == 1, "404 is not retried", r)
    finally:
        srv.stop()


if __name__ == "__main__":
    main([test_download_follows_redirect_and_matches_local_run, test_second_run_is_not_modified,
          test_resume_after_cut_connection, test_interrupted_download_resumes_on_next_run,
          test_server_error_then_success, test_not_found_is_a_network_error])
