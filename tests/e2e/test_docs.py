"""The documentation cannot drift from the binary: every option of every command (as the binary's own --help
lists it) has a row in that command's options table in docs/reference.md, with the same placeholder, and
every row there is an option; every exit code and failure reason is documented; the README stays a README.
"""
import re

from harness import SOURCE_DIR, check, main, run_forge

REFERENCE = SOURCE_DIR / "docs" / "reference.md"


def help_sections(text):
    """{"Options": [...lines], "Global options": [...], "Commands": [...], ...} of a --help text."""
    sections, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Za-z ]+):$", line)
        if m:
            current = m.group(1)
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line)
    return sections


def help_options(lines):
    """{"--target": "TRIPLE", "--verbose": ""} from the entries of an Options section."""
    options = {}
    for line in lines:
        m = re.match(r"^  ((?:-\w, )?--[a-z][a-z0-9-]*)(?:, --no-[a-z0-9-]+)?(?: (\S+))?", line)
        if m:
            options[m.group(1).split(", ")[-1]] = m.group(2) or ""
    return options


def commands():
    lines = help_sections(run_forge("--help").out)["Commands"]
    return [l.split()[0] for l in lines if re.match(r"^  \w", l) and l.split()[0] != "help"]


def reference_sections():
    text = REFERENCE.read_text()
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def table_options(section):
    """{"--target": "TRIPLE"} from the rows of a section's options table: | `--target TRIPLE` | ... |"""
    options = {}
    for m in re.finditer(r"^\| `((?:-\w, )?--[a-z][a-z0-9-]*)(?:, --no-[a-z0-9-]+)?(?: ([^`]+))?` \|", section, re.M):
        options[m.group(1).split(", ")[-1]] = m.group(2) or ""
    return options


def test_every_option_is_documented_and_every_documented_option_exists(tmp):
    sections = reference_sections()
    names = commands()
    check(len(names) >= 9, f"forge --help lists the commands: {names}")
    top = help_sections(run_forge("--help").out)
    pairs = [("Global options", help_options(top["Options"]))]
    for name in names:
        pairs.append((f"forge {name}", help_options(help_sections(run_forge(name, "--help").out).get("Options", []))))
    for title, options in pairs:
        check(title in sections, f"docs/reference.md has a section '## {title}'")
        documented = table_options(sections[title])
        missing = sorted(set(options) - set(documented))
        extra = sorted(set(documented) - set(options))
        check(not missing, f"{title}: options not in docs/reference.md's table: {missing}")
        check(not extra, f"{title}: docs/reference.md documents options the binary does not have: {extra}")
        for option, placeholder in options.items():
            check(documented[option] == placeholder,
                  f"{title} {option}: --help says {placeholder!r}, docs/reference.md {documented[option]!r}")


def test_the_forge_toml_example_names_real_options(tmp):
    section = reference_sections()["Configuration: forge.toml"]
    example = section.split("```toml", 1)[1].split("```", 1)[0]
    table = "global"
    keys = {}
    for line in example.splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else line.lstrip("# ").strip()
        m = re.match(r"^\[(\w+)\]", line)
        if m:
            table = m.group(1)
            continue
        m = re.match(r"^([a-z][a-z0-9_-]*)\s*=", line)
        if m:
            keys.setdefault(table, set()).add(m.group(1))
    check(set(keys) >= {"global", "ingest", "build", "doctor", "run", "report", "matrix", "merge", "publish"},
          f"the example has every table: {sorted(keys)}")
    for table, names in keys.items():
        text = run_forge("--help").out if table == "global" else run_forge(table, "--help").out
        options = set(help_options(help_sections(text)["Options"]))
        for name in names:
            check(f"--{name}" in options, f"forge.toml [{table}] {name} is an option of that command")


def test_every_exit_code_is_documented(tmp):
    enum = (SOURCE_DIR / "include" / "forge" / "util" / "error.hpp").read_text()
    codes = {int(c) for c in re.findall(r"^\s+\w+ = (\d+),", enum, re.M)}
    check(len(codes) >= 12, f"ExitCode values found: {sorted(codes)}")
    listed = {int(l.split()[0]) for l in help_sections(run_forge("--help").out)["Exit codes"] if re.match(r"^  \d", l)}
    check(listed == codes, f"forge --help lists every ExitCode: {sorted(listed)} vs {sorted(codes)}")
    table = reference_sections()["Exit codes"]
    documented = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)}
    check(documented == codes, f"docs/reference.md lists every exit code: {sorted(documented)}")


def test_every_failure_reason_is_documented(tmp):
    # The binary's own list (the man page's FAILURE REASONS, written from compile/build_result's all_reasons()).
    page = run_forge("man").out
    listed = page.split(".SH FAILURE REASONS", 1)[1].split(".SH ", 1)[0]
    reasons = {r.replace("\\-", "-") for r in re.findall(r"^\.B (\S+)$", listed, re.M)}
    check(len(reasons) >= 16, f"reasons found: {sorted(reasons)}")
    table = reference_sections()["Failure reasons"]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", table, re.M))
    check(documented == reasons, f"docs/reference.md's reasons {sorted(documented)} vs forge's {sorted(reasons)}")
    spurious = {r.replace("\\-", "-") for r in re.findall(r"^\.B (\S+)\nspurious", listed, re.M)}
    documented_spurious = set(re.findall(r"^\| `([a-z-]+)` \|.*\| \*\*yes\*\* \|$", table, re.M))
    check(documented_spurious == spurious, f"spurious: docs {sorted(documented_spurious)} vs forge {sorted(spurious)}")


def test_readme_is_short_and_links_the_reference(tmp):
    readme = (SOURCE_DIR / "README.md").read_text()
    check(len(readme.splitlines()) <= 250, f"README.md has {len(readme.splitlines())} lines")
    for link in ("docs/reference.md", "docs/formats.md", "docs/sandbox.md", "docs/development.md"):
        check(link in readme and (SOURCE_DIR / link).exists(), f"README links {link}")
    check("bash scripts/demo.sh" in readme and "bash scripts/test.sh" in readme, "the two commands")
    check("cmake --install build" in readme, "how to install")


if __name__ == "__main__":
    main([test_every_option_is_documented_and_every_documented_option_exists,
          test_the_forge_toml_example_names_real_options, test_every_exit_code_is_documented,
          test_every_failure_reason_is_documented, test_readme_is_short_and_links_the_reference])
