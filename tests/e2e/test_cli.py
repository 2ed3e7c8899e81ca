"""The command line itself: help, version, exit codes, global flags, forge.toml and colour."""
import json
import os

from harness import FIXTURES, check, expect_error, load_json, main, run_forge

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
    expect_error(run_forge(), 2)
    expect_error(run_forge("frobnicate"), 2)
    expect_error(run_forge("ingest", "--no-such-flag"), 2)
    expect_error(run_forge("ingest", "--dump", SAMPLE, "--since", "2025-13-01", "--out", tmp), 2, "--since")


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


if __name__ == "__main__":
    main([test_help_lists_subcommands_and_exit_codes, test_version_names_libraries, test_usage_errors_exit_2,
          test_config_file_sets_options_and_command_line_wins, test_config_errors_name_the_file,
          test_color_modes, test_quiet_and_verbose, test_targets_comma_separated])
