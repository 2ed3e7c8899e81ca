"""The command line itself: help, version, exit codes, global flags, forge.toml and colour; refusing bad
arguments in forge's words before anything is written."""
import json
import os
import re

from harness import FIXTURES, check, expect_error, load_json, main, run_forge
from httpserver import TestServer

SAMPLE = FIXTURES / "sample" / "db-dump.tar.gz"


def test_help_lists_subcommands_and_exit_codes(tmp):
    r = run_forge("--help")
    check(r.code == 0, "--help exits 0", r)
    for text in ("ingest", "build", "doctor", "Exit codes:", "130", "--config", "--color", "--quiet", "--verbose"):
        check(text in r.out, f"--help mentions {text}", r)
    r = run_forge("ingest", "--help")
    check(r.code == 0 and "--since" in r.out and "--dump" in r.out and "--out" in r.out, "ingest --help", r)


def test_version_names_libraries(tmp):
    r = run_forge("--version")
    check(r.code == 0 and r.out.startswith("forge "), "--version", r)
    for lib in ("libcurl", "libarchive", "libgit2", "OpenSSL"):
        check(lib in r.out, f"--version names {lib}", r)


def test_usage_errors_exit_2(tmp):
    expect_error(run_forge(), 2, "no command given")
    expect_error(run_forge("frobnicate"), 2, "unknown command 'frobnicate'")
    expect_error(run_forge("ingest", "--no-such-flag"), 2, "unknown option '--no-such-flag'")
    expect_error(run_forge("ingest", "--dump", SAMPLE, "--since", "2025-13-01", "--out", tmp), 2, "--since")


COMMANDS = ["ingest", "build", "doctor", "run", "report", "matrix", "merge", "publish", "completions"]


def test_help_command_and_version_short_flag(tmp):
    top = run_forge("--help")
    r = run_forge("help")
    check(r.code == 0 and r.out == top.out, "forge help = forge --help", r)
    for sub in ("build", "run", "publish"):
        want = run_forge(sub, "--help")
        r = run_forge("help", sub)
        check(r.code == 0 and r.out == want.out and f"Usage: forge {sub}" in r.out, f"forge help {sub}", r)
    expect_error(run_forge("help", "biuld"), 2, "no help for 'biuld'", "did you mean 'build'?")
    r = run_forge("-V")
    check(r.code == 0 and r.out == run_forge("--version").out, "-V is --version", r)


def test_typos_get_a_did_you_mean_and_a_pointer_to_help(tmp):
    r = run_forge("buld", "ripgrep")
    expect_error(r, 2, "unknown command 'buld'; did you mean 'build'?")
    check("See 'forge --help'." in r.err, "points at forge --help", r)
    expect_error(run_forge("--bogus"), 2, "unknown option '--bogus'")
    expect_error(run_forge("--colour", "never", "ingest"), 2, "unknown option '--colour'; did you mean '--color'?")
    r = run_forge("build", "--tagret", "x86_64", "ripgrep")
    expect_error(r, 2, "unknown option '--tagret'; did you mean '--target'?")
    check("See 'forge build --help'." in r.err, "points at the command's help", r)
    r = run_forge("run", "--jobs", "abc")
    expect_error(r, 2, "--jobs must be a whole number, got 'abc'")
    check("See 'forge run --help'." in r.err, "points at forge run --help", r)


def test_messages_in_forges_words(tmp):
    expect_error(run_forge("publish", "--jobs", "0", "--dry-run"), 2, "--jobs must be between 1 and 64, got 0")
    expect_error(run_forge("build"), 2, "missing CRATE[@VERSION]")
    expect_error(run_forge("merge"), 2, "missing SHARD_DIR...")
    expect_error(run_forge("run", "--target"), 2, "--target needs a value (TRIPLE)")
    expect_error(run_forge("run", "--timeout", "soon"), 2, "--timeout must be a duration", "'soon'")
    expect_error(run_forge("run", "--min-free", "lots"), 2, "--min-free must be a size", "'lots'")
    expect_error(run_forge("report", "--format", "pdf"), 2, "--format must be text, markdown, html or json, got 'pdf'")
    expect_error(run_forge("matrix", "--shards", "2", "--max-jobs", "3"), 2, "--shards and --max-jobs cannot be given together")
    expect_error(run_forge("doctor", "--linker", "nonsense"), 2, "--linker must be TRIPLE=PROGRAM")
    for args in (["publish", "--jobs", "0"], ["build"], ["merge"], ["run", "--timeout", "soon"]):
        r = run_forge(*args)
        for internal in ("TEXT", "INT", "Value ", "not in range", "required", "Could not convert"):
            check(internal not in r.err, f"{args}: no CLI11 wording ({internal!r})", r)


def test_help_speaks_in_placeholders(tmp):
    helps = {sub: run_forge(sub, "--help") for sub in COMMANDS}
    helps["forge"] = run_forge("--help")
    for name, r in helps.items():
        check(r.code == 0, f"{name} --help", r)
        for internal in ("TEXT", "INT", "UINT", "FLOAT", "FLOAT:", "SIZE [b", "in [", "REQUIRED", "Excludes:"):
            check(internal not in r.out, f"{name} --help has no CLI11 internals ({internal!r})", r)
    for sub, fragments in {
        "build": ["--out DIR", "--jobs N", "--timeout DURATION", "--index-url URL", "--target TRIPLE",
                  "--max-crate-bytes SIZE", "--linker TRIPLE=PROGRAM", "CRATE[@VERSION]", "(default: 30m)",
                  "(auto | cross | zigbuild | cargo; default: auto)", "(default: 2GiB)"],
        "run": ["--queue FILE", "--min-free SIZE", "(default: 1GiB)", "--retry-backoff DURATION", "--shard I/N"],
        "report": ["-o, --output FILE", "--format FORMAT"],
        "ingest": ["--dump PATH|URL", "--since YYYY-MM-DD"],
    }.items():
        for fragment in fragments:
            check(fragment in helps[sub].out, f"forge {sub} --help shows {fragment!r}", helps[sub])
    check("Exit codes:" in helps["forge"].out, "the exit codes are in forge --help", helps["forge"])
    for sub in COMMANDS:
        out = helps[sub].out
        check("Exit codes:" not in out, f"forge {sub} --help does not repeat the exit codes", helps[sub])
        check("Global options:" in out, f"forge {sub} --help shows the global options", helps[sub])
        for flag in ("-v, --verbose", "-q, --quiet", "--color WHEN", "--config PATH"):
            check(flag in out.split("Global options:")[1], f"forge {sub} --help: global {flag}", helps[sub])
    check(not any(re.match(r"\s+man\b", l) for l in helps["forge"].out.splitlines()), "forge man is hidden",
          helps["forge"])


def test_config_file_sets_options_and_command_line_wins(tmp):
    cfg = tmp / "forge.toml"
    cfg.write_text(f'quiet = true\n[ingest]\ndump = "{SAMPLE}"\nsince = "2026-06-01"\nout = "{tmp / "from-config"}"\n')
    r = run_forge("--config", cfg, "ingest")
    check(r.code == 0, "ingest from config", r)
    check(r.out == "", "quiet = true in the config silences stdout", r)
    q = load_json(tmp / "from-config" / "queue.json")
    check(q["since"] == "2026-06-01", "since from config", r)
    r = run_forge("--config", cfg, "ingest", "--since", "2025-01-01", "--out", tmp / "cli")
    check(r.code == 0, "ingest with overrides", r)
    check(load_json(tmp / "cli" / "queue.json")["since"] == "2025-01-01", "command line wins over config", r)
    # ./forge.toml is found without --config
    r = run_forge("ingest", cwd=tmp)
    check(r.code == 0 and (tmp / "from-config" / "queue.json").exists(), "./forge.toml picked up", r)


def test_config_errors_name_the_file(tmp):
    bad = tmp / "bad.toml"
    bad.write_text("[ingest\nsince = 1\n")
    expect_error(run_forge("--config", bad, "ingest"), 2, str(bad), "line 1")
    unknown = tmp / "unknown.toml"
    unknown.write_text("[ingest]\nsinse = \"2025-01-01\"\n")
    expect_error(run_forge("--config", unknown, "ingest"), 2, str(unknown))
    expect_error(run_forge("--config", tmp / "missing.toml", "ingest"), 2)


def test_color_modes(tmp):
    env_no = {"NO_COLOR": "1"}
    r = run_forge("ingest", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "a", env=env_no)
    check(r.code == 0 and "\x1b[" not in r.out, "NO_COLOR: no escapes", r)
    r = run_forge("--color", "always", "ingest", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "b")
    check(r.code == 0 and "\x1b[" in r.out, "--color always colours the funnel", r)
    r = run_forge("ingest", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "c", "--color", "never")
    check(r.code == 0 and "\x1b[" not in r.out, "--color never after the subcommand", r)


def test_quiet_and_verbose(tmp):
    r = run_forge("ingest", "-q", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "q")
    check(r.code == 0 and r.out == "" and r.err == "", "-q prints nothing", r)
    r = run_forge("-v", "ingest", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "v")
    check(r.code == 0 and "debug" in r.err and "versions.csv" in r.err, "-v shows debug lines", r)
    funnel = load_json(tmp / "v" / "funnel.json")
    check(set(funnel) == {"total", "with_bins", "cli_category", "candidates", "recent", "yanked", "lib_only",
                          "selected"}, "funnel keys", r)
    check(all(isinstance(v, int) for v in funnel.values()), "funnel values are integers", r)


def test_targets_comma_separated(tmp):
    """A workflow passes its target list as one variable: --target a,b is --target a --target b."""
    r = run_forge("ingest", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "o")
    check(r.code == 0, "ingest", r)
    q = tmp / "o" / "queue.json"
    comma = run_forge("matrix", "--queue", q, "--target", "x86_64,aarch64", "--shards", "1", "--limit", "3")
    repeated = run_forge("matrix", "--queue", q, "--target", "x86_64", "--target", "aarch64", "--shards", "1",
                         "--limit", "3")
    check(comma.code == 0 and json.loads(comma.out) == json.loads(repeated.out), "the same matrix", comma)
    plan = json.loads(comma.out)["include"][0]
    check(plan["jobs"] == 6, f"3 crates x 2 targets: {plan}", comma)
    r = run_forge("run", "--queue", q, "--target", "x86_64,aarch64", "--limit", "3", "--shard", "1/1",
                  "--expect-plan", "000000000000", "--out", tmp / "r", "--", "--builder", "cargo")
    check(r.code == 2 and f"has plan {plan['plan']}" in r.err, "forge run plans the same jobs", r)


def sample_queue(tmp):
    r = run_forge("ingest", "-q", "--dump", SAMPLE, "--since", "2025-01-01", "--out", tmp / "q")
    check(r.code == 0, "ingest the sample", r)
    return tmp / "q" / "queue.json"


def test_refused_arguments_leave_nothing_behind(tmp):
    queue = sample_queue(tmp)
    out = tmp / "out"
    expect_error(run_forge("run", "--queue", queue, "--out", out, "--retry-backoff", "soon"), 2, "--retry-backoff")
    check(not out.exists(), "a refused --retry-backoff writes nothing (no run.json)")
    # forge.toml values are checked as early as flags
    cfg = tmp / "forge.toml"
    cfg.write_text('[run]\ntimeout = "later"\n')
    expect_error(run_forge("--config", cfg, "run", "--queue", queue, "--out", out), 2, "--timeout", "'later'")
    check(not out.exists(), "a refused forge.toml value writes nothing")
    expect_error(run_forge("run", "--out", out), 6, str(out / "queue.json"))
    check(not out.exists(), "forge run without a queue creates no out dir")
    expect_error(run_forge("run", "--queue", queue, "--out", out, "--shard", "3/2"), 2, "--shard")
    check(not out.exists(), "a bad --shard writes nothing")


def test_report_output_must_be_in_an_existing_directory(tmp):
    queue = sample_queue(tmp)
    out = tmp / "out"
    r = run_forge("run", "-q", "--queue", queue, "--out", out, "--only", "no-such-crate")
    check(r.code == 0 and (out / "report.json").exists(), "an empty run writes a report", r)
    target = "/nonexistent/dir/r.txt"
    expect_error(run_forge("report", "--out", out, "-o", target), 6, target, "/nonexistent/dir")
    check(not os.path.exists("/nonexistent"), "no directory is created")
    r = run_forge("report", "--out", out, "-o", tmp / "r.txt")
    check(r.code == 0 and (tmp / "r.txt").exists(), "-o into an existing directory works", r)


def test_resumed_strict_run_says_which_jobs_fail(tmp):
    queue = sample_queue(tmp)
    first = load_json(queue)["crates"][0]
    out = tmp / "out"
    out.mkdir()
    entry = {"crate": first["name"], "version": first["version"], "target": "x86_64-unknown-linux-musl",
             "host": "x86_64-Linux", "status": "failed", "reason": "compile-error", "details": "error[E0308]",
             "spurious": False, "attempt": 1, "duration_s": 1.0, "started_at": "2026-01-01T00:00:00Z",
             "finished_at": "2026-01-01T00:00:01Z", "executables": [], "exit_code": 8}
    (out / "journal.ndjson").write_text(json.dumps(entry) + "\n")
    r = run_forge("run", "--queue", queue, "--out", out, "--limit", "1", "--strict")
    expect_error(r, 8, "--strict", "1 of 1 planned job(s) failed", f"{first['name']}@{first['version']}",
                 "compile-error", "journal.ndjson")
    check("0 to run (1 already in the journal)" in r.err, "nothing ran: the failure is the journal's", r)
    r = run_forge("run", "--queue", queue, "--out", out, "--limit", "1")
    check(r.code == 0 and "forge: error" not in r.err, "without --strict the same run exits 0", r)


def test_bad_crate_arguments_are_usage_errors(tmp):
    for spec, fragment in (("bad name!", "only ASCII letters, digits, '-' and '_'"),
                           ("9lives", "must start with an ASCII letter"),
                           ("x" * 65, "longer than 64"),
                           ("@1.0.0", "empty")):
        expect_error(run_forge("build", spec, "--out", tmp / "o"), 2, fragment)
    # A version that cannot exist is refused at once: the index is never asked (nor retried).
    index = TestServer(tmp)
    index.start()
    try:
        r = run_forge("build", "ripgrep@notaversion", "--index-url", index.url("/"), "--out", tmp / "o")
        expect_error(r, 2, "'notaversion' in 'ripgrep@notaversion' is not a version")
        check(index.log == [], f"the index was not asked: {index.log}", r)
    finally:
        index.stop()
    check(not (tmp / "o").exists(), "nothing written", r)


if __name__ == "__main__":
    main([test_help_lists_subcommands_and_exit_codes, test_version_names_libraries, test_usage_errors_exit_2,
          test_help_command_and_version_short_flag, test_typos_get_a_did_you_mean_and_a_pointer_to_help,
          test_messages_in_forges_words, test_help_speaks_in_placeholders, test_refused_arguments_leave_nothing_behind,
          test_report_output_must_be_in_an_existing_directory, test_resumed_strict_run_says_which_jobs_fail,
          test_bad_crate_arguments_are_usage_errors,
          test_config_file_sets_options_and_command_line_wins, test_config_errors_name_the_file,
          test_color_modes, test_quiet_and_verbose, test_targets_comma_separated])
