"""Why: `forge report --format html` must be one self-contained page that a browser really renders: this merges
made-up run directories (no builds needed: journal lines and soar records as `forge run` writes them, an older
and a newer version of one crate), renders the HTML, opens it in headless Chromium (Debian's `chromium`) at
phone and desktop widths, and checks the screenshots are not blank (the bar colours are there) and that the
figures are in the rendered DOM. It also checks the merge rules end to end: the newer version replaces the
older, nothing else drops out."""
import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

from harness import SkipTest, check, load_json, main, run_forge

CHROMIUM = "/usr/bin/chromium"
HOST, TRIPLE = "x86_64-Linux", "x86_64-unknown-linux-musl"
FUNNEL = {"total": 111722, "with_bins": 24658, "cli_category": 8451, "candidates": 26000, "recent": 12000,
          "yanked": 20, "lib_only": 1947, "selected": 10033}


def record(crate, exe, version, date):
    return {"_disabled": "false", "pkg": exe, "pkg_name": exe, "pkg_family": crate,
            "pkg_id": f"pkgforge-cargo.{crate}.stable", "version": version, "description": f"{crate} tool",
            "download_url": f"https://example.invalid/{crate}/{exe}", "bsum": "0" * 64, "build_date": date,
            "provides": [exe], "host": HOST}


def make_run_dir(d, jobs, queue_sha="a" * 64):
    """jobs: (crate, version, status, reason, executables, duration, finished_at)."""
    d.mkdir(parents=True)
    lines = []
    for crate, version, status, reason, exes, duration, finished in jobs:
        lines.append(json.dumps({"crate": crate, "version": version, "target": TRIPLE, "host": HOST,
                                 "status": status, "reason": reason, "details": f"{reason} in {crate}" if reason else None,
                                 "spurious": reason == "timeout", "attempt": 1, "duration_s": duration,
                                 "started_at": finished, "finished_at": finished, "executables": exes,
                                 "exit_code": 0 if status == "built" else 8}))
        job_dir = d / HOST / crate / version
        job_dir.mkdir(parents=True)
        for exe in exes:
            (job_dir / f"{exe}.json").write_text(json.dumps(record(crate, exe, version, finished)))
    (d / "journal.ndjson").write_text("\n".join(lines) + "\n")
    (d / "run.json").write_text(json.dumps({
        "format": "forge-run/1", "queue": {"sha256": queue_sha, "generated_at": "2025-06-01T00:00:00Z",
                                           "crates": 10033},
        "funnel": FUNNEL, "shard": None, "targets": [TRIPLE], "planned": len(jobs), "plan": "x",
        "started_at": "2025-06-01T00:00:00Z", "finished_at": "2025-06-01T01:00:00Z", "state": "complete"}))


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes): (width, height, rows of tuples)."""
    data = Path(path).read_bytes()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and color in (2, 6) and interlace == 0, f"PNG format {depth}/{color}/{interlace}")
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def chromium(tmp, *args):
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    env = dict(os.environ, HOME=str(tmp))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env, stdin=subprocess.DEVNULL)


def check_screenshot(path, size):
    check(path.exists(), f"chromium wrote {path}")
    width, height, rows = png_pixels(path)
    check((width, height) == size, f"screenshot size {width}x{height} == {size}")
    background = rows[0][0]
    colours, ink = set(), 0
    for row in rows:
        for px in row:
            if px != background:
                ink += 1
            colours.add(px)
    check(ink > width * height * 0.02, f"the page is not blank: {ink} of {width * height} pixels drawn")
    palette = {"success bars": (0x1a, 0x7f, 0x37), "failure bars": (0xcf, 0x22, 0x2e), "funnel bars": (0x09, 0x69, 0xda)}
    for what, rgb in palette.items():
        check(any(all(abs(c - r) <= 6 for c, r in zip(px, rgb)) for px in colours), f"{what} are drawn ({rgb})")


def test_html_report_in_chromium(tmp):
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            raise AssertionError(f"{CHROMIUM} missing in CI: scripts/test-deps.sh installs chromium")
        raise SkipTest(f"{CHROMIUM} is not installed (apt-get install chromium; scripts/test-deps.sh does it)")
    old = tmp / "run-old"
    make_run_dir(old, [
        ("alpha", "1.0.0", "built", None, ["alpha", "alpha-helper"], 61.5, "2025-06-01T00:10:00Z"),
        ("beta", "2.0.0", "built", None, ["beta"], 30.0, "2025-06-01T00:11:00Z"),
        ("gamma", "0.3.0", "failed", "missing-system-library", [], 12.0, "2025-06-01T00:12:00Z"),
    ])
    new = tmp / "run-new"
    make_run_dir(new, [
        ("alpha", "1.1.0", "built", None, ["alpha"], 65.0, "2025-06-08T00:10:00Z"),
        ("delta", "0.1.0", "failed", "compile-error", [], 8.0, "2025-06-08T00:11:00Z"),
        ("eps<ilon>", "0.2.0", "failed", "missing-system-library", [], 9.5, "2025-06-08T00:12:00Z"),
        ("zeta", "5.0.0", "built", None, ["zeta"], 125.0, "2025-06-08T00:13:00Z"),
    ], queue_sha="b" * 64)
    out = tmp / "index"
    for d in (old, new):
        r = run_forge("merge", d, "--out", out)
        check(r.code == 0, f"merge {d.name}", r)
    records = {(x["pkg_name"], x["version"]) for x in load_json(out / "metadata" / f"{HOST}.json")}
    check(records == {("alpha", "1.1.0"), ("alpha-helper", "1.0.0"), ("beta", "2.0.0"), ("zeta", "5.0.0")},
          f"newer alpha replaces the older; alpha-helper and beta do not drop out: {sorted(records)}")
    built = load_json(out / "CRATES_BUILT.json")["crates"]
    check(built["alpha"]["version"] == "1.1.0" and sorted(built) == ["alpha", "beta", "delta", "eps<ilon>", "gamma",
                                                                     "zeta"], f"CRATES_BUILT: {sorted(built)}")

    html = tmp / "report.html"
    r = run_forge("report", "--out", out, "--format", "html", "-o", html)
    check(r.code == 0 and html.exists(), "forge report --format html -o", r)
    text = html.read_text(encoding="utf-8")
    for banned in ("<script", "<link", "src=", "@import", "url("):
        check(banned not in text, f"self-contained: no {banned!r}")
    check('name="viewport"' in text, "a viewport for phones")
    check("eps&lt;ilon&gt;" in text and "eps<ilon>" not in text, "crate names are escaped")

    for name, size in (("phone", (412, 915)), ("desktop", (1280, 1600))):
        shot = tmp / f"{name}.png"
        p = chromium(tmp, f"--window-size={size[0]},{size[1]}", f"--screenshot={shot}", html.as_uri())
        check(p.returncode == 0, f"chromium screenshot ({name}) exit {p.returncode}: {p.stderr[-2000:]}")
        check_screenshot(shot, size)

    p = chromium(tmp, "--dump-dom", html.as_uri())
    check(p.returncode == 0, f"chromium --dump-dom exit {p.returncode}: {p.stderr[-2000:]}")
    dom = p.stdout
    report = load_json(out / "report.json")
    check(report["crates"]["built"] == 3 and report["crates"]["failed"] == 3, f"report.json: {report['crates']}")
    for figure in ('id="crates-built">3<', 'id="crates-failed">3<', 'id="executables">3<', 'id="crates-queued">10,033<',
                   ">111,722<", ">24,658<", "missing-system-library", "compile-error", "eps&lt;ilon&gt;, gamma",
                   "50.0%", "zeta", "2m05s"):
        check(figure in dom, f"the rendered DOM shows {figure!r}")
    check(dom.count("<svg") >= 3 and dom.count("<rect") >= 10, "the charts are SVG bars")


if __name__ == "__main__":
    main([test_html_report_in_chromium])
