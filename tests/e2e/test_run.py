"""Why: `forge run` is where thousands of builds meet reality: a mix of successes and failures, Ctrl-C in the
middle, a worker killed by the OOM killer, a torn journal line after a power cut, spurious failures worth a
retry, a full disk. Each test runs the real binary over fixture crates that build in seconds (fx-gate waits
for the test's signal, so interruptions need no timing guesses) and checks the journal, results, aggregates
and exit codes."""
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import runenv
from harness import SkipTest, check, expect_error, forge_bin, load_json, main
from runenv import HOST, HOST_TRIPLE, RunEnv, children_of, job, journal, procs_with_env

try:
    import soarcheck
except ImportError:
    soarcheck = None

V = runenv.FX_VERSION


def wait_for(what, cond, timeout=600, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"forge run exited {proc.returncode} while waiting for {what}\n{out}\n{err}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def popen_run(env, out, *extra, extra_env=None):
    full = dict(os.environ)
    full.setdefault("NO_COLOR", "1")
    full.update(env.env)
    full.update(extra_env or {})
    args = [forge_bin(), *map(str, env.run_args(out, *extra))]
    return subprocess.Popen(args, cwd=env.tmp, env=full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def ids(entries):
    return sorted(job(e) for e in entries)


def jid(crate, version=V):
    return f"{crate}@{version} {HOST_TRIPLE}"


def started_at(out, crate, version=V):
    return load_json(Path(out) / HOST / crate / version / "result.json")["started_at"]


# -- tests -----------------------------------------------------------------------------------------------

def test_mixed_run_then_resume_torn_line_retry_failed(tmp):
    env = RunEnv(tmp, ["fx-ok", "fx-compile-error", "fx-missing-lib"])
    out = tmp / "out"
    r = env.run(out, "--jobs", "2", env={"GITHUB_ACTIONS": "true"})
    check(r.code == 0, "a run whose jobs all ran exits 0, failures included", r)
    lines = journal(out / "journal.ndjson")
    check(ids(lines) == sorted([jid("fx-ok"), jid("fx-compile-error"), jid("fx-missing-lib")]),
          f"one journal line per job: {ids(lines)}", r)
    by = {e["crate"]: e for e in lines}
    check(by["fx-ok"]["status"] == "built" and by["fx-ok"]["executables"] == ["fx-ok", "fx-ok-helper"],
          f"fx-ok built with both executables: {by['fx-ok']}", r)
    check(by["fx-compile-error"]["reason"] == "compile-error", f"reason: {by['fx-compile-error']}", r)
    check(by["fx-missing-lib"]["reason"] == "missing-system-library", f"reason: {by['fx-missing-lib']}", r)
    # CI output: one line per job, GitHub groups and annotations for the failures
    check("✓ fx-ok 0.1.0 x86_64-Linux" in r.out, "a line for the built job", r)
    for crate, reason in (("fx-compile-error", "compile-error"), ("fx-missing-lib", "missing-system-library")):
        check(f"✗ {crate} 0.1.0 x86_64-Linux: {reason}" in r.out, f"a line for {crate}", r)
        check(f"::group::{crate} 0.1.0 x86_64-Linux: {reason}" in r.out, f"a ::group:: for {crate}", r)
        check(any(l.startswith("::error title=") and crate in l and reason in l for l in r.out.splitlines()),
              f"an ::error annotation for {crate}", r)
    check(r.out.count("::endgroup::") == 2, "each group is closed", r)
    check("forge-nonexistent-lib" in r.out, "the group holds the end of the failed build's log", r)
    # aggregates
    built = load_json(out / "CRATES_BUILT.json")
    check(built["format"] == "forge-crates-built/1", "CRATES_BUILT format", r)
    check(built["crates"]["fx-ok"]["targets"][HOST_TRIPLE]["status"] == "built", "fx-ok built in CRATES_BUILT", r)
    check(built["crates"]["fx-compile-error"]["targets"][HOST_TRIPLE]["reason"] == "compile-error",
          "failure reason in CRATES_BUILT", r)
    records = load_json(out / "metadata" / f"{HOST}.json")
    check(sorted(x["pkg_name"] for x in records) == ["fx-ok", "fx-ok-helper"],
          f"metadata holds the built executables: {[x['pkg_name'] for x in records]}", r)
    if soarcheck is not None:
        for rec in records:
            problems = soarcheck.check_record(rec)
            check(not problems, f"soar rules: {problems}", r)
    report = load_json(out / "report.json")
    check(report["crates"]["attempted"] == 3 and report["crates"]["built"] == 1 and report["crates"]["failed"] == 2,
          f"report crate counts: {report['crates']}", r)
    check(report["executables"]["total"] == 2, f"report executables: {report['executables']}", r)
    check(sorted(f["reason"] for f in report["failures"]) == ["compile-error", "missing-system-library"],
          f"report failure reasons: {report['failures']}", r)
    retry = [l for l in (out / "retry.txt").read_text().splitlines() if l and not l.startswith("#")]
    check(sorted(retry) == sorted([jid("fx-compile-error") + " compile-error",
                                   jid("fx-missing-lib") + " missing-system-library"]), f"retry.txt: {retry}", r)
    check(load_json(out / "run.json")["state"] == "complete", "run.json says complete", r)
    ok_started = started_at(out, "fx-ok")

    # the same command again: nothing to do
    r = env.run(out, "--jobs", "2")
    check(r.code == 0 and "0 to run" in r.err, "a rerun has nothing to do", r)
    check(len(journal(out / "journal.ndjson")) == 3, "a rerun adds no journal line", r)
    r = env.run(out, "--strict")
    check(r.code == 8, "--strict exits 8 while the journal holds failures", r)

    # power loss while writing a line: the torn line is skipped with a warning and its job redone
    text = (out / "journal.ndjson").read_text().splitlines()
    torn = next(l for l in text if '"fx-missing-lib"' in l)
    kept = [l for l in text if l is not torn]
    (out / "journal.ndjson").write_text("\n".join(kept) + "\n" + torn[: len(torn) // 2])
    r = env.run(out, "--jobs", "2")
    check(r.code == 0, "a run over a torn journal works", r)
    check("line 3 is damaged" in r.err, "the torn line is reported", r)
    raw = (out / "journal.ndjson").read_text().splitlines()
    check(raw[2] == torn[: len(torn) // 2] and len(raw) == 4, f"the torn line is left alone, a whole one appended: {raw}",
          r)
    check(json.loads(raw[3])["crate"] == "fx-missing-lib", "the torn line's job was redone", r)
    check(started_at(out, "fx-ok") == ok_started, "fx-ok was not rebuilt", r)

    # --retry-failed reruns exactly the failed jobs
    r = env.run(out, "--jobs", "2", "--retry-failed")
    check(r.code == 0, "--retry-failed exits 0", r)
    raw = (out / "journal.ndjson").read_text().splitlines()
    new = [json.loads(l) for l in raw[4:]]
    check(ids(new) == sorted([jid("fx-compile-error"), jid("fx-missing-lib")]), f"only the failed jobs reran: {ids(new)}",
          r)
    check(started_at(out, "fx-ok") == ok_started, "fx-ok was not rebuilt by --retry-failed", r)
    env.stop()


def start_gated_run(tmp, env):
    """`forge run --jobs 1` in the background, returned once fx-gate's build script waits at its gate (a
    directory under tmp, in FX_GATE_DIR). Every process of the run carries FORGE_E2E_MARKER=marker.
    -> (out, gate, marker, extra_env, the forge run process)"""
    out, gate = tmp / "out", tmp / "gate"
    gate.mkdir()
    marker = uuid.uuid4().hex
    extra_env = {"FX_GATE_DIR": str(gate), "FORGE_E2E_MARKER": marker}
    p = popen_run(env, out, "--jobs", "1", extra_env=extra_env)
    try:
        wait_for("fx-gate's build script to start", lambda: any(gate.glob("started-*")), proc=p)
    except BaseException:
        p.kill()
        raise
    return out, gate, marker, extra_env, p


def jobserver_fifo(makeflags):
    """The fifo path of `--jobserver-auth=fifo:PATH` in a CARGO_MAKEFLAGS value."""
    return Path(makeflags.split("--jobserver-auth=fifo:")[1].split()[0])


def test_interrupt_then_resume(tmp):
    """SIGINT while fx-gate builds: exit 130, nothing left running, the journal holds only finished jobs; the
    rerun does the rest and every job ends up in the journal exactly once."""
    # fx-gate talks to the test through FX_GATE_DIR, outside its build directory: no sandbox for it.
    env = RunEnv(tmp, ["fx-ok", "fx-gate", "fx-compile-error"], sandbox="none")
    out, gate, marker, extra_env, p = start_gated_run(tmp, env)
    try:
        check(ids(journal(out / "journal.ndjson")) == [jid("fx-ok")], "fx-ok finished before fx-gate started")
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    r = f"exit={p.returncode}\n{stdout}\n{stderr}"
    check(p.returncode == 130, f"interrupted run exits 130\n{r}")
    check("interrupted" in stderr, f"says it was interrupted\n{r}")
    wait_for("the interrupted build's processes to end", lambda: not procs_with_env(marker), timeout=30)
    check(ids(journal(out / "journal.ndjson")) == [jid("fx-ok")], f"only the finished job is journalled\n{r}")
    check(load_json(out / "run.json")["state"] == "interrupted", "run.json says interrupted")
    ok_started = started_at(out, "fx-ok")

    (gate / "open").write_text("")
    res = env.run(out, "--jobs", "1", env=extra_env)
    check(res.code == 0, "the resumed run finishes", res)
    check("2 to run (1 already in the journal)" in res.err, "it resumes with the two unfinished jobs", res)
    lines = journal(out / "journal.ndjson")
    check(ids(lines) == sorted([jid("fx-ok"), jid("fx-gate"), jid("fx-compile-error")]) and len(lines) == 3,
          f"each job exactly once overall: {ids(lines)}", res)
    check({e["crate"]: e["status"] for e in lines} == {"fx-ok": "built", "fx-gate": "built",
                                                      "fx-compile-error": "failed"}, f"statuses: {lines}", res)
    check(started_at(out, "fx-ok") == ok_started, "fx-ok was not rebuilt", res)
    env.stop()


def test_killed_worker_is_an_internal_failure(tmp):
    env = RunEnv(tmp, ["fx-gate", "fx-compile-error"], sandbox="none")  # fx-gate: see above
    out, gate, marker, extra_env, p = start_gated_run(tmp, env)
    try:
        kids = children_of(p.pid)
        check(len(kids) == 1, f"one forge build child: {kids}")
        os.kill(kids[0], signal.SIGKILL)
        (gate / "open").write_text("")  # lets the orphaned cargo finish
        stdout, stderr = p.communicate(timeout=600)
    finally:
        if p.poll() is None:
            p.kill()
    r = f"exit={p.returncode}\n{stdout}\n{stderr}"
    check(p.returncode == 0, f"the runner survives and finishes\n{r}")
    by = {e["crate"]: e for e in journal(out / "journal.ndjson")}
    check(by.get("fx-gate", {}).get("reason") == "internal", f"a killed worker is reason internal: {by}\n{r}")
    check("SIGKILL" in by["fx-gate"]["details"], f"the details name the signal: {by['fx-gate']}")
    check(by.get("fx-compile-error", {}).get("reason") == "compile-error", f"the next job still ran: {by}\n{r}")
    wait_for("orphans to finish", lambda: not procs_with_env(marker), timeout=120)
    env.stop()


def gate_makeflags(gate):
    """The CARGO_MAKEFLAGS that cargo gave fx-gate's build script (written into its started-* file)."""
    text = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "jobserver" not in text:
        text = "".join(f.read_text() for f in gate.glob("started-*"))
        time.sleep(0.1)
    return text


def test_sigkilled_runner_takes_its_builds_along(tmp):
    """cargo draws from forge run's jobserver (the fifo it made), and when forge run is SIGKILLed mid-build its
    forge build child gets SIGTERM from the kernel and stops its cargo: nothing of the run is left running."""
    env = RunEnv(tmp, ["fx-gate", "fx-ok"], sandbox="none")  # fx-gate: see above
    out, gate, marker, extra_env, p = start_gated_run(tmp, env)
    try:
        makeflags = gate_makeflags(gate)
        check("--jobserver-auth=fifo:" in makeflags, f"cargo passes on a fifo jobserver: {makeflags!r}")
        fifo = jobserver_fifo(makeflags)
        check(fifo.parent.name.startswith("forge-jobserver-") and fifo.is_fifo(),
              f"it is forge run's jobserver, not one cargo made for itself: {fifo}")
        check(procs_with_env(marker), "the build is running")
        p.kill()
        p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    # No timing is asserted: the wait only bounds how long a broken build would hang the test.
    wait_for("every process of the killed run to end", lambda: not procs_with_env(marker), timeout=120)
    check(not any(out.glob("x86_64-Linux/fx-ok/*/result.json")), "no job started after the runner died")

    (gate / "open").write_text("")
    for f in gate.glob("started-*"):
        f.unlink()
    res = env.run(out, "--jobs", "1", env=extra_env)
    check(res.code == 0, "the next run resumes and finishes", res)
    makeflags = gate_makeflags(gate)
    check("--jobserver-auth=fifo:" in makeflags, f"the resumed build used a jobserver too: {makeflags!r}")
    second = jobserver_fifo(makeflags)
    check(not second.exists() and not second.parent.exists(), f"a finished run removes its jobserver: {second}")
    env.stop()


def test_sandboxed_jobs_share_the_jobserver(tmp):
    """Inside bwrap, cargo still draws from forge run's jobserver: the fifo is bound into the sandbox."""
    env = RunEnv(tmp, ["fx-gate"])  # forge's default sandbox: bwrap where it works
    out = tmp / "out"
    res = env.run(out, "--jobs", "1")
    check(res.code == 0, "built", res)
    result = load_json(out / HOST / "fx-gate" / "0.1.0" / "result.json")
    if result["sandbox"] != "bwrap":
        raise SkipTest(f"no bwrap sandbox here: {result['sandbox_reason']}")
    log = (out / HOST / "fx-gate" / "0.1.0" / "build.log").read_text(errors="replace")
    check("sharing forge run's jobserver" in log, "forge build binds the fifo into the sandbox", res)
    line = next((x for x in log.splitlines() if "fx-gate: CARGO_MAKEFLAGS=" in x), "")
    check("--jobserver-auth=fifo:" in line and "forge-jobserver-" in line,
          f"the sandboxed cargo used forge run's jobserver: {line!r}", res)
    env.stop()


def test_cargo_jobs_opts_out_of_the_jobserver(tmp):
    env = RunEnv(tmp, ["fx-gate"], sandbox="none")  # fx-gate: see above
    out, gate = tmp / "out", tmp / "gate"
    gate.mkdir()
    (gate / "open").write_text("")
    res = env.run(out, "--cargo-jobs", "1", env={"FX_GATE_DIR": str(gate)})
    check(res.code == 0, "built", res)
    makeflags = gate_makeflags(gate)
    check("fifo:" not in makeflags and "forge-jobserver" not in makeflags,
          f"with --cargo-jobs cargo runs its own jobserver: {makeflags!r}", res)
    env.stop()


def test_spurious_failure_is_retried(tmp):
    env = RunEnv(tmp, ["fx-sleep"])
    out = tmp / "out"
    r = env.run(out, "--timeout", "3s", "--grace", "1s", "--retries", "1", "--retry-backoff", "1s")
    check(r.code == 0, "exit 0", r)
    lines = journal(out / "journal.ndjson")
    check([(e["attempt"], e["reason"], e.get("retrying", False)) for e in lines] == [(1, "timeout", True),
                                                                                     (2, "timeout", False)],
          f"attempt 1 timed out and was retried, attempt 2 is final: {lines}", r)
    check("↻ fx-sleep" in r.out and "attempt 2" in r.out, "the retry is announced", r)
    built = load_json(out / "CRATES_BUILT.json")["crates"]["fx-sleep"]["targets"][HOST_TRIPLE]
    check(built["attempts"] == 2 and built["spurious"] is True, f"CRATES_BUILT: {built}", r)
    env.stop()


def test_full_disk_stops_scheduling(tmp):
    env = RunEnv(tmp, ["fx-compile-error"])
    out = tmp / "out"
    r = env.run(out, "--min-free", str(10 ** 18))
    expect_error(r, 6, "free", "stopped scheduling")
    check(journal(out / "journal.ndjson") == [], "no job ran", r)
    check(load_json(out / "run.json")["state"] == "stopped", "run.json says stopped", r)
    env.stop()


def test_bad_arguments(tmp):
    env = RunEnv(tmp, ["fx-compile-error"])
    out = tmp / "out"
    expect_error(env.run(out, "--shard", "4/3"), 2, "--shard")
    expect_error(env.forge("run", "--queue", env.queue, "--out", out, "--", "--jobs", "3"), 2, "--jobs",
                 "forge run itself")
    r = env.forge("run", "--queue", env.queue, "--out", out, "--target", HOST_TRIPLE, "--", "--builder", "bogus")
    expect_error(r, 2, "forge build refused its command line", "--builder")
    check(journal(out / "journal.ndjson") == [], "a refused command line is not a build failure", r)
    bad = tmp / "bad-queue.json"
    bad.write_text('{"format": "something-else"}')
    expect_error(env.forge("run", "--queue", bad, "--out", out), 4, str(bad))
    env.stop()


def test_merge_refuses_other_queue_and_is_idempotent(tmp):
    env = RunEnv(tmp, ["fx-compile-error"])
    a = tmp / "shard-a"
    check(env.run(a).code == 0, "shard a runs")
    other = tmp / "other" / "queue.json"
    other.parent.mkdir()
    doc = load_json(env.queue)
    doc["generated_at"] = "2025-02-02T00:00:00Z"
    other.write_text(json.dumps(doc))
    b = tmp / "shard-b"
    r = env.forge("run", "--queue", other, "--out", b, "--target", HOST_TRIPLE, "--", *env.build_args())
    check(r.code == 0, "shard b runs", r)
    merged = tmp / "merged"
    expect_error(env.forge("merge", a, b, "--out", merged), 4, "different queue", str(b))
    expect_error(env.forge("merge", a, "--queue", other, "--out", merged), 4, "different queue")
    expect_error(env.forge("merge", tmp / "queue.json", "--out", merged), 6, "not a directory")
    r = env.forge("merge", a, "--out", merged, "--queue", env.queue)
    check(r.code == 0, "merge of one shard", r)
    snapshot = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in merged.rglob("*") if p.is_file()}
    r = env.forge("merge", a, a, "--out", merged)
    check(r.code == 0 and "0 new journal line(s)" in r.out, "merging the same shard again adds nothing", r)
    again = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in merged.rglob("*") if p.is_file()}
    check(again == snapshot, "merging the same shard twice changes no file (not even its mtime)", r)
    env.stop()


if __name__ == "__main__":
    main([test_mixed_run_then_resume_torn_line_retry_failed, test_interrupt_then_resume,
          test_killed_worker_is_an_internal_failure, test_sigkilled_runner_takes_its_builds_along,
          test_sandboxed_jobs_share_the_jobserver, test_cargo_jobs_opts_out_of_the_jobserver,
          test_spurious_failure_is_retried, test_full_disk_stops_scheduling,
          test_bad_arguments, test_merge_refuses_other_queue_and_is_idempotent])
