#!/usr/bin/env python3
"""Why: an independent reader of soar 0.6's rules, so end-to-end tests can check forge's records without
trusting forge's own writer.

    check_record(rec) -> list[str]      problems of one record (empty = soar 0.6 accepts it)
    check_records(recs) -> list[str]    problems of a repository array ("[i]: ..."), plus duplicate
                                        (pkg_id, pkg_name, version) triples
    check_file(path) -> list[str]       a file holding one record or an array of records

CLI:  python3 soarcheck.py FILE.json...   prints "FILE[index]: problem" lines; exit 1 if any, else 0
      python3 soarcheck.py --self-test    checks the checker against the reference record of soar-metadata.md

Rules (soar-metadata.md, soar v0.6.x):
  required, non-empty strings: pkg_id, pkg_name, description, version, download_url; _disabled == "false"
  strongly expected (forge always writes them): bsum, ghcr_pkg, provides, pkg, pkg_family
  numbers are strings of digits: rank, size, size_raw, download_count (size = byte count = size_raw)
  booleans are "true"/"false": bundle, soar_syms, deprecated, desktop_integration, external, installable,
    portable, recurse_provides, trusted
  arrays of strings: src_url, homepage, license, maintainer, note, tag, category, provides, snapshots,
    repology, ghcr_files
  other known fields are strings; bsum and shasum are 64 lowercase hex
  provides contains pkg_name; recurse_provides is present and "false"
Unknown fields (host, manifest_url, ...) are ignored, as soar ignores them.
"""
import json
import re
import sys

REQUIRED = ("pkg_id", "pkg_name", "description", "version", "download_url")
EXPECTED = ("bsum", "ghcr_pkg", "provides", "pkg", "pkg_family")
STRINGS = ("pkg", "pkg_family", "pkg_type", "pkg_webpage", "version_upstream", "ghcr_pkg", "ghcr_blob",
           "ghcr_url", "bsum", "shasum", "build_id", "build_date", "build_gha", "build_action",
           "build_script", "build_log") + REQUIRED
NUMBERS = ("rank", "size", "size_raw", "download_count")
BOOLEANS = ("bundle", "soar_syms", "deprecated", "desktop_integration", "external", "installable", "portable",
            "recurse_provides", "trusted")
ARRAYS = ("src_url", "homepage", "license", "maintainer", "note", "tag", "category", "provides", "snapshots",
          "repology", "ghcr_files")
DIGITS = re.compile(r"[0-9]+")
HEX64 = re.compile(r"[0-9a-f]{64}")


def _kind(value):
    return "null" if value is None else type(value).__name__


def _wrong(key, value, wanted):
    return "%s must be %s, not %s %s" % (key, wanted, _kind(value), json.dumps(value))


def check_record(rec):
    """Returns the list of soar 0.6 rule violations of one record."""
    if not isinstance(rec, dict):
        return ["record is a %s, not a JSON object" % _kind(rec)]
    problems = []
    for key in REQUIRED:
        if key not in rec:
            problems.append("missing required field %s" % key)
        elif isinstance(rec[key], str) and not rec[key].strip():
            problems.append("required field %s is empty" % key)
    if "_disabled" not in rec:
        problems.append("missing required field _disabled")
    elif rec["_disabled"] != "false":
        problems.append("_disabled must be the string \"false\", not %s" % json.dumps(rec["_disabled"]))
    for key in EXPECTED:
        if key not in rec:
            problems.append("missing expected field %s" % key)
    for key in STRINGS:
        if key in rec and not isinstance(rec[key], str):
            problems.append(_wrong(key, rec[key], "a string"))
    for key in NUMBERS:
        if key in rec:
            value = rec[key]
            if not isinstance(value, str) or not DIGITS.fullmatch(value):
                problems.append(_wrong(key, value, "a string of digits"))
    for key in BOOLEANS:
        if key in rec and rec[key] not in ("true", "false"):
            problems.append(_wrong(key, rec[key], "\"true\" or \"false\""))
    for key in ARRAYS:
        if key in rec:
            value = rec[key]
            if not isinstance(value, list):
                problems.append(_wrong(key, value, "an array of strings"))
            else:
                bad = [v for v in value if not isinstance(v, str)]
                if bad:
                    problems.append("%s must hold only strings, has %s" % (key, json.dumps(bad)))
    for key in ("bsum", "shasum"):
        if isinstance(rec.get(key), str) and not HEX64.fullmatch(rec[key]):
            problems.append("%s must be 64 lowercase hex digits, not %s" % (key, json.dumps(rec[key])))
    size, size_raw = rec.get("size"), rec.get("size_raw")
    if (isinstance(size, str) and isinstance(size_raw, str) and DIGITS.fullmatch(size)
            and DIGITS.fullmatch(size_raw) and int(size) != int(size_raw)):
        problems.append("size %s and size_raw %s must be the same byte count" % (size, size_raw))
    provides, pkg_name = rec.get("provides"), rec.get("pkg_name")
    if isinstance(provides, list) and isinstance(pkg_name, str) and pkg_name not in provides:
        problems.append("provides %s does not contain pkg_name %s"
                        % (json.dumps(provides), json.dumps(pkg_name)))
    if "recurse_provides" not in rec:
        problems.append("missing recurse_provides (must be \"false\")")
    elif rec["recurse_provides"] != "false":
        problems.append("recurse_provides must be \"false\", not %s" % json.dumps(rec["recurse_provides"]))
    return problems


def check_records(recs):
    """Problems of every record ("[i] ..."), plus soar's uniqueness rule over the whole array."""
    if not isinstance(recs, list):
        recs = [recs]
    problems = []
    seen = {}
    for i, rec in enumerate(recs):
        problems += ["[%d]: %s" % (i, p) for p in check_record(rec)]
        if isinstance(rec, dict):
            key = tuple(str(rec.get(k, "")).lower() for k in ("pkg_id", "pkg_name", "version"))
            if key in seen:
                problems.append("[%d]: duplicates [%d]: same (pkg_id, pkg_name, version) %s"
                                % (i, seen[key], json.dumps(list(key))))
            seen.setdefault(key, i)
    return problems


def check_file(path):
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return ["cannot read JSON: %s" % e]
    return check_records(data)


# The one real record of soar-metadata.md (x86_64-Linux.json, 2025-06), verbatim.
REFERENCE_RECORD = json.loads(r"""{"_disabled":"false",
"bsum":"4853d9abe0cb7da87cd138f7e54b4bdea83a346740f45a5a0c53b466b2a5e1bd",
"build_date":"2025-06-14T13:14:21Z","build_id":"15652012624","category":["Utility"],
"description":"fd is a simple, fast and user-friendly alternative to find.","download_count":"36792",
"download_url":
"https://api.ghcr.pkgforge.dev/pkgforge-cargo/fd-find/stable/fd?tag=10.2.0-x86_64-Linux&download=fd",
"external":"true","ghcr_pkg":"ghcr.io/pkgforge-cargo/fd-find/stable/fd:10.2.0-x86_64-Linux",
"ghcr_url":"https://ghcr.io/pkgforge-cargo/fd-find/stable/fd","homepage":["https://github.com/sharkdp/fd"],
"host":"x86_64-Linux","installable":"true","license":["MIT OR Apache-2.0"],
"maintainer":["pkgforge-cargo (https://github.com/pkgforge-cargo/builder)"],
"note":["This package was automatically built from crates.io using cargo-cross"],
"pkg":"fd","pkg_family":"fd-find","pkg_id":"pkgforge-cargo.fd-find.stable","pkg_name":"fd",
"pkg_type":"static",
"pkg_webpage":"https://crates.io/crates/fd-find","portable":"true","provides":["fd"],"rank":"1194",
"recurse_provides":"false","shasum":"c31e928be90231baebd81eab8bf408a516a62de71408ff8d4afd14dd9ed2cd6e",
"size":"4.2 MB","size_raw":"4376008","snapshots":["10.2.0-x86_64-Linux"],
"src_url":["https://crates.io/api/v1/crates/fd-find/10.2.0/download"],"tag":["file","filesystem","find"],
"trusted":"true","version":"10.2.0","version_upstream":"10.2.0"}""")


def self_test():
    """The reference passes except for its human size; each rule catches its own breakage."""
    failures = []

    def expect(name, rec, wanted):
        got = check_record(rec)
        ok = (not got) if wanted is None else (len(got) == 1 and wanted in got[0])
        if not ok:
            failures.append("%s: expected %s, got %s" % (name, wanted or "no problem", got))

    ref = REFERENCE_RECORD
    expect("reference record", ref, "size must be a string of digits")
    fixed = dict(ref, size="4376008")
    expect("reference with byte-count size", fixed, None)
    broken = [
        ("bare number", dict(fixed, rank=1194), "rank must be a string of digits"),
        ("human size_raw", dict(fixed, size_raw="4.2MB"), "size_raw must be a string of digits"),
        ("size differs from size_raw", dict(fixed, size="1"), "same byte count"),
        ("JSON boolean", dict(fixed, portable=True), "portable must be"),
        ("string array", dict(fixed, license="MIT"), "license must be an array"),
        ("number in array", dict(fixed, tag=["a", 1]), "tag must hold only strings"),
        ("uppercase bsum", dict(fixed, bsum=fixed["bsum"].upper()), "bsum must be 64 lowercase hex"),
        ("short shasum", dict(fixed, shasum="abc"), "shasum must be 64"),
        ("enabled flag", dict(fixed, _disabled="true"), "_disabled must be"),
        ("empty description", dict(fixed, description=""), "description is empty"),
        ("provides lacks pkg_name", dict(fixed, provides=["fdfind"]), "does not contain pkg_name"),
        ("recursing provides", dict(fixed, recurse_provides="true"), "recurse_provides must be"),
        ("numeric version", dict(fixed, version=10), "version must be a string"),
    ]
    for name, rec, wanted in broken:
        expect(name, rec, wanted)
    for key in REQUIRED + ("_disabled",) + EXPECTED + ("recurse_provides",):
        expect("without " + key, {k: v for k, v in fixed.items() if k != key}, key)
    expect("unknown fields ignored", dict(fixed, host=1, manifest_url=None), None)
    if check_record([fixed]) == []:
        failures.append("a non-object record must be a problem")
    dup = check_records([fixed, dict(fixed, pkg_id=fixed["pkg_id"].upper())])
    if len(dup) != 1 or "duplicates [0]" not in dup[0]:
        failures.append("duplicate ids: got %s" % dup)
    if check_records([fixed, dict(fixed, version="10.2.1")]):
        failures.append("two versions must both be accepted")
    for f in failures:
        print("self-test FAILED: " + f, file=sys.stderr)
    if not failures:
        print("soarcheck self-test: ok")
    return 1 if failures else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if not argv or any(a.startswith("-") for a in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    status = 0
    for path in argv:
        for problem in check_file(path):
            print("%s%s" % (path, problem if problem.startswith("[") else ": " + problem))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
