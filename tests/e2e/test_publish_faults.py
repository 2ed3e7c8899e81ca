"""Why: pushing thousands of artifacts meets every transient failure a registry has. A proxy in front of
the real registry injects them: 5xx and 429 answers, a connection cut in the middle of a monolithic blob
upload and of a chunked one (libcurl may resend on a fresh connection, the registry may or may not
keep the session: any of those paths must end well), a lost upload session, a manifest that reads back wrong, a blob upload that never succeeds. Each
run must end with the artifact published exactly once and intact, or with one clear error and no tag."""
import hashlib
import json
import re

from harness import check, expect_error, main
from publishenv import blob_bytes, check_published, craft_build, publish, repo_of
from registry import FaultProxy, RegistryServer, pull_manifest, tags

TAG = "0.9.0-x86_64-Linux"


def setup(tmp, exe_size=300_000):
    reg = RegistryServer(tmp).start()
    proxy = FaultProxy(reg.port).start()
    d = craft_build(tmp / "out", "faulty", "0.9.0", {"flaky": blob_bytes(exe_size, 31)})
    digest = "sha256:" + hashlib.sha256((d / "flaky").read_bytes()).hexdigest()
    return reg, proxy, d, digest


def manifest_puts(reg):
    return [q for q in reg.requests() if q[0] == "PUT" and "/manifests/" in q[1]]


def test_5xx_and_429_then_success(tmp):
    reg, proxy, d, _ = setup(tmp)
    try:
        proxy.fail("GET", r"/tags/list", 503, times=1)
        proxy.fail("HEAD", r"/blobs/sha256:", 500, times=2)
        proxy.fail("POST", r"/blobs/uploads/$", 502, times=1)
        proxy.fail("PUT", r"/blobs/uploads/", 429, times=1)
        proxy.fail("PUT", r"/manifests/", 500, times=1)
        proxy.fail("GET", r"/manifests/", 500, times=1)
        r = publish(tmp, tmp / "out", proxy.host)
        check(r.code == 0, "published despite transient failures", r)
        failed = [q for q in proxy.log if str(q[2]).startswith("failed:")]
        check(len(failed) == 7, f"every injected fault was hit: {failed}", r)
        check("retrying" in r.err, "retries are reported on stderr", r)
        check(len(manifest_puts(reg)) == 1, f"the manifest reached the registry once: {manifest_puts(reg)}", r)
        check(tags(reg.url, repo_of("faulty", "flaky")) == [TAG], "one tag", r)
        check_published(reg.url, d, "flaky", r=r)
    finally:
        proxy.stop()
        reg.stop()


def test_cut_in_the_middle_of_a_monolithic_blob(tmp):
    reg, proxy, d, digest = setup(tmp)
    try:
        proxy.cut("PUT", r"/blobs/uploads/.*digest=" + digest.replace(":", "%3A"), after=120_000, times=1)
        r = publish(tmp, tmp / "out", proxy.host)
        check(r.code == 0, "published after a cut upload", r)
        check(("PUT" in [q[0] for q in proxy.log if q[2] == "cut"]), f"the upload was cut: {proxy.log}", r)
        puts = [q for q in reg.requests() if q[0] == "PUT" and digest.replace(":", "%3A") in q[1] and q[2] == 201]
        check(len(puts) == 1, f"the executable's blob was completed once: {puts}", r)
        check(len(manifest_puts(reg)) == 1, "one manifest", r)
        check_published(reg.url, d, "flaky", r=r)
    finally:
        proxy.stop()
        reg.stop()


def test_lost_upload_session_starts_over(tmp):
    reg, proxy, d, digest = setup(tmp)
    try:
        # The registry forgot the upload session (BLOB_UPLOAD_UNKNOWN): a new session is started.
        proxy.fail("PUT", r"/blobs/uploads/.*digest=" + digest.replace(":", "%3A"), 404, times=1)
        r = publish(tmp, tmp / "out", proxy.host)
        check(r.code == 0, "published after a lost session", r)
        check("1 upload restarted" in r.out, "the upload was started over", r)
        check_published(reg.url, d, "flaky", r=r)
    finally:
        proxy.stop()
        reg.stop()


def test_cut_in_the_middle_of_a_chunked_blob(tmp):
    reg, proxy, d, digest = setup(tmp)
    try:
        # The second PATCH of the executable is cut after 10 kB reached the registry.
        proxy.cut("PATCH", r"/blobs/uploads/", after=10_000, times=1, skip=1)
        r = publish(tmp, tmp / "out", proxy.host, "--chunk-threshold", "65536", "--chunk-size", "65536")
        check(r.code == 0, "published after a cut chunk", r)
        patches = [q for q in proxy.log if q[0] == "PATCH"]
        check(any(q[2] == "cut" for q in patches), f"a chunk was cut: {patches}", r)
        check(len([q for q in patches if q[2] == 202]) >= 300_000 // 65536, f"the blob went up in chunks: {patches}", r)
        check(len(manifest_puts(reg)) == 1, "one manifest", r)
        check_published(reg.url, d, "flaky", r=r)
    finally:
        proxy.stop()
        reg.stop()


def test_chunked_upload_resumes_where_the_registry_stopped(tmp):
    reg, proxy, d, digest = setup(tmp)
    try:
        # The third PATCH is dropped twice (libcurl itself retries once on a fresh connection) before the
        # registry sees it: forge asks the registry for the upload's offset and goes on from there.
        proxy.cut("PATCH", r"/blobs/uploads/", after=0, times=2, skip=2)
        r = publish(tmp, tmp / "out", proxy.host, "--chunk-threshold", "65536", "--chunk-size", "65536")
        check(r.code == 0, "published after dropped chunks", r)
        check(re.search(r"\b[12] chunked uploads? resumed", r.out) and "0 uploads restarted" in r.out,
              "resumed, not restarted", r)
        status_gets = [q for q in proxy.log if q[0] == "GET" and "/blobs/uploads/" in q[1]]
        check(status_gets and all(q[2] == 204 for q in status_gets), f"the upload status was asked: {status_gets}", r)
        sessions = [q for q in reg.requests() if q[0] == "POST" and q[1].endswith("/blobs/uploads/")]
        check(len(sessions) == 7, f"one upload session per blob: {len(sessions)}", r)
        check_published(reg.url, d, "flaky", r=r)
    finally:
        proxy.stop()
        reg.stop()


def test_persistent_failure_leaves_no_tag(tmp):
    reg, proxy, d, digest = setup(tmp)
    try:
        proxy.fail("PUT", r"/blobs/uploads/.*digest=" + digest.replace(":", "%3A"), 500)
        r = publish(tmp, tmp / "out", proxy.host, "--retries", "3")
        expect_error(r, 5, "not published", "flaky", "HTTP 500")
        check(not manifest_puts(reg), f"no manifest was pushed: {manifest_puts(reg)}", r)
        check(tags(reg.url, repo_of("faulty", "flaky")) == [], "no tag", r)
        check(not (d / "publish.json").exists(), "no publish.json for an unpublished executable", r)
        check(json.loads((d / "flaky.json").read_text())["snapshots"] == [], "the record is unchanged", r)
        # The next run, with the registry healthy again, publishes it.
        proxy.rules.clear()
        r = publish(tmp, tmp / "out", proxy.host)
        check(r.code == 0, "published on the next run", r)
        check_published(reg.url, d, "flaky", r=r)
    finally:
        proxy.stop()
        reg.stop()


def test_manifest_read_back_is_compared(tmp):
    reg, proxy, d, _ = setup(tmp, exe_size=5000)
    try:
        bsum = json.loads((d / "result.json").read_text())["executables"][0]["bsum"]
        proxy.tamper("GET", r"/manifests/", bsum.encode(), b"0" * 64)
        r = publish(tmp, tmp / "out", proxy.host)
        expect_error(r, 10, "read back")
        status, _, _ = pull_manifest(reg.url, repo_of("faulty", "flaky"), TAG)
        check(status == 200, "the registry itself holds the right manifest", r)
    finally:
        proxy.stop()
        reg.stop()


if __name__ == "__main__":
    main([test_5xx_and_429_then_success, test_cut_in_the_middle_of_a_monolithic_blob, test_lost_upload_session_starts_over,
          test_cut_in_the_middle_of_a_chunked_blob, test_chunked_upload_resumes_where_the_registry_stopped,
          test_persistent_failure_leaves_no_tag,
          test_manifest_read_back_is_compared])
