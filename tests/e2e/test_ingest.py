"""End-to-end: `forge ingest` on generated dumps must produce exactly what tests/fixtures/dumpcheck.py
(an independent reader of the same spec) expects: every queue.json crate field and funnel.json."""
import datetime
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import FIXTURES, check, load_json, main, run_forge  # noqa: E402

sys.path.insert(0, str(FIXTURES))
import dumpcheck  # noqa: E402
import gen_dump  # noqa: E402

SINCE = "2025-01-01"
FUNNEL_KEYS = {"total", "with_bins", "cli_category", "candidates", "recent", "yanked", "lib_only", "selected"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def make_dump(tmp, name="dump.tar.gz", *extra, crates=1200):
    path = Path(tmp) / name
    args = ["--out", str(path), "--seed", "11", "--crates", str(crates), "--versions-per-crate", "4",
            "--deps-per-version", "2", "--version-downloads", "5000", "--readme-bytes", "600", *extra]
    gen_dump.generate(gen_dump.parse_args(args))
    return path


def compare_crates(got, want):
    """Reports the first disagreement precisely: crate, field, forge's value, expected value."""
    check(isinstance(got, list), f"queue.crates is not a list: {type(got)}")
    gnames = [c.get("name") for c in got]
    wnames = [c["name"] for c in want]
    missing = sorted(set(wnames) - set(gnames))
    extra = sorted(set(gnames) - set(wnames))
    check(not missing and not extra, f"queue crate set differs: missing {missing[:20]} extra {extra[:20]}")
    if gnames != wnames:
        diffs = [(i + 1, a, b) for i, (a, b) in enumerate(zip(gnames, wnames)) if a != b][:5]
        check(False, f"queue order differs (rank, forge, expected): {diffs}")
    for g, w in zip(got, want):
        for key in w:
            check(key in g, f"crate {w['name']}: field {key!r} missing")
            gv, wv = g[key], w[key]
            same = gv == wv and type(gv) is type(wv)
            check(same, f"crate {w['name']}: field {key!r}: forge {gv!r} != expected {wv!r}")
        extra_keys = set(g) - set(w)
        check(not extra_keys, f"crate {w['name']}: unexpected fields {sorted(extra_keys)}")


def check_funnel(funnel, want):
    check(set(funnel) == FUNNEL_KEYS, f"funnel keys: {sorted(funnel)}")
    for k in FUNNEL_KEYS:
        check(type(funnel[k]) is int, f"funnel.{k} is not an integer: {funnel[k]!r}")
    diffs = {k: (funnel[k], want[k]) for k in FUNNEL_KEYS if funnel[k] != want[k]}
    check(not diffs, f"funnel differs (forge, expected): {diffs}")


def check_timestamp(value, meta_ts):
    check(isinstance(value, str) and RFC3339.match(value), f"dump.timestamp not RFC 3339 UTC: {value!r}")
    # Accept the metadata.json value verbatim or normalised; it must denote the same second.
    check(value[:19] == meta_ts[:19], f"dump.timestamp {value!r} != metadata.json {meta_ts!r}")


def run_and_compare(tmp, dump, since=SINCE, quiet=False, source=None):
    out = Path(tmp) / "out"
    args = ["ingest", "--dump", source or str(dump), "--out", str(out)]
    if since is not None:
        args += ["--since", since]
    if quiet:
        args.append("-q")
    r = run_forge(*args)
    check(r.code == 0, "forge ingest failed", r)
    effective_since = since or f"{datetime.datetime.now(datetime.timezone.utc).year - 1}-01-01"
    want_crates, want_funnel = dumpcheck.expected(str(dump), effective_since)
    queue = load_json(out / "queue.json")
    funnel = load_json(out / "funnel.json")
    check(queue.get("format") == "forge-queue/1", f"format: {queue.get('format')!r}")
    check(queue.get("since") == effective_since, f"since: {queue.get('since')!r} != {effective_since}")
    check(isinstance(queue.get("generated_at"), str) and RFC3339.match(queue["generated_at"]),
          f"generated_at: {queue.get('generated_at')!r}")
    meta, _top = dumpcheck.metadata(str(dump))
    d = queue.get("dump") or {}
    want_src = source or str(dump)
    check(d.get("source") in (want_src, os.path.abspath(want_src)), f"dump.source: {d.get('source')!r}")
    check_timestamp(d.get("timestamp"), meta["timestamp"])
    check_funnel(funnel, want_funnel)
    compare_crates(queue.get("crates"), want_crates)
    if quiet:
        check(r.out == "", "stdout must be empty with -q", r)
    else:
        numbers = {int(x.replace(",", "").replace("_", "")) for x in re.findall(r"\d[\d,_]*", r.out)}
        for k in ("total", "with_bins", "cli_category", "candidates", "recent", "selected"):
            check(want_funnel[k] in numbers, f"stdout does not show funnel {k}={want_funnel[k]}", r)
    return queue, funnel, want_crates


def test_ingest_2026(tmp):
    dump = make_dump(tmp)
    queue, funnel, want = run_and_compare(tmp, dump)
    names = {c["name"]: c for c in want}
    # self-checks of the fixture (so a broken generator cannot make this test vacuous)
    check("nocat-bins" in names and "binonly-tool" in names and "libonly-cli" not in names, "fixture cases")
    check(names["stale-default"]["version"] == "1.0.0", "stale-default must follow default_versions")
    check(funnel["selected"] > 50 and funnel["lib_only"] >= 1 and funnel["yanked"] >= 1, f"funnel too thin {funnel}")


def test_ingest_2025_checksum(tmp):
    dump = make_dump(tmp, "dump2025.tar.gz", "--schema", "2025")
    run_and_compare(tmp, dump)


def test_ingest_no_default_versions(tmp):
    dump = make_dump(tmp, "nodv.tar.gz", "--no-default-versions")
    _, _, want = run_and_compare(tmp, dump)
    names = {c["name"]: c for c in want}
    check(names["stale-default"]["version"] == "1.1.0", "without default_versions the highest release wins")
    check(names["only-prereleases"]["version"] == "0.1.0-alpha.10", "semver pre-release precedence")


def test_ingest_unknown_columns(tmp):
    dump = make_dump(tmp, "unknown.tar.gz", "--unknown-columns")
    run_and_compare(tmp, dump)


def test_ingest_unknown_columns_2025(tmp):
    dump = make_dump(tmp, "unknown2025.tar.gz", "--unknown-columns", "--schema", "2025", "--no-default-versions")
    run_and_compare(tmp, dump)


def test_ingest_quiet(tmp):
    dump = make_dump(tmp, crates=400)
    run_and_compare(tmp, dump, quiet=True)


def test_since_default(tmp):
    dump = make_dump(tmp, crates=400)
    run_and_compare(tmp, dump, since=None)


def test_since_late(tmp):
    # A later cut-off changes the selection; the checker is the same.
    dump = make_dump(tmp, crates=400)
    run_and_compare(tmp, dump, since="2026-06-30")


def test_bundled_sample(tmp):
    sample = FIXTURES / "sample" / "db-dump.tar.gz"
    check(sample.exists(), f"missing {sample}")
    run_and_compare(tmp, sample)


def test_ingest_url(tmp):
    from httpserver import TestServer
    dump = make_dump(tmp, crates=300)
    srv = TestServer(str(tmp))
    srv.start()
    try:
        srv.redirect("/db-dump.tar.gz", "/dump.tar.gz")  # static.crates.io serves the dump via a redirect
        url = srv.url("/db-dump.tar.gz")
        queue, _, _ = run_and_compare(tmp, dump, source=url)
        check(queue["dump"]["source"] == url, f"dump.source should be the URL: {queue['dump']['source']!r}")
    finally:
        srv.stop()


if __name__ == "__main__":
    main([test_ingest_2026, test_ingest_2025_checksum, test_ingest_no_default_versions, test_ingest_unknown_columns,
          test_ingest_unknown_columns_2025, test_ingest_quiet, test_since_default, test_since_late,
          test_bundled_sample, test_ingest_url])
