"""Why: docs/workflows/forge.yml is the workflow users run: plan (ingest, matrix) -> one build job per matrix
entry -> merge (commit and push the index branch) -> publish. This runs that file, unchanged, with the local
runner of actions_local.py: every job in its own empty workspace, HOME and RUNNER_TEMP, with only what its
steps check out, download or restore, and forge installed in each by the action (action.yml) from the bundle
the suite built — so a job that relies on another job's machine, or a hand-over the workflow forgets, fails
here. The repository is a local bare git repository holding the workflow and a forge.toml that points forge
at loopback servers: a dump of six crates (Debian's hexyl, forge's fixture crates; four fail on purpose), a
crate registry, and Debian's docker-registry. Builds use rustup's stable cargo, offline, for the host.
Checked: the plan's outputs, each shard's journal and annotations, the commit pushed to forge-index, the
report on the summary page, the executables in the registry, a re-run of the merge job that commits
nothing, a second scheduled run that revalidates the cached dump (HTTP 304) and builds nothing, and a copy of
the workflow whose build job forgets to download the plan, which must fail."""
import json
import os
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

import runenv
from actions_local import LocalRunner
from dump_tar import read_entries, write_entries
from harness import FIXTURES, SOURCE_DIR, SkipTest, check, main
from httpserver import TestServer
from registry import RegistryServer, tags
from runenv import HOST, HOST_TRIPLE, RunEnv

FAILING = {"fx-compile-error": "compile-error", "fx-missing-lib": "missing-system-library",
           "fx-link-error": "link-error", "fx-build-script-panic": "build-script"}
WORKFLOW = SOURCE_DIR / "docs" / "workflows" / "forge.yml"


def git(repo, *args, cwd=None):
    p = subprocess.run(["git", "--git-dir", str(repo), *args] if cwd is None else ["git", *args], cwd=cwd,
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"git {' '.join(args)}: {p.stderr}")
    return p.stdout


def write_dump(path, queue_rows):
    """A dump in the real layout (the sample's files) whose crates and versions are exactly queue_rows."""
    sample = FIXTURES / "sample" / "db-dump.tar.gz"
    tables = {
        "crates.csv": ["created_at,description,documentation,homepage,id,max_features,max_upload_size,name,readme,"
                       "repository,trustpub_only,updated_at"],
        "versions.csv": ["bin_names,categories,crate_id,crate_size,created_at,description,documentation,downloads,"
                         "edition,features,has_lib,homepage,id,keywords,license,links,num,num_no_build,"
                         "published_by,repository,rust_version,tar_sha256,updated_at,yanked,zip_json_sha256,"
                         "zip_sha256"],
        "crate_downloads.csv": ["crate_id,downloads"], "default_versions.csv": ["crate_id,num_versions,version_id"],
        "crates_categories.csv": ["category_id,crate_id"], "crates_keywords.csv": ["crate_id,keyword_id"],
        "dependencies.csv": ["crate_id,default_features,explicit_name,features,id,kind,optional,req,target,version_id"],
        "version_downloads.csv": ["date,downloads,version_id"]}
    when = "2026-11-01 12:00:00+00"
    for i, row in enumerate(queue_rows, 1):
        desc = row["description"].replace('"', "")
        tables["crates.csv"].append(f'{when},"{desc}",,,{i},,,{row["name"]},,,f,{when}')
        bins = "{" + ",".join(row["bin_names"]) + "}"
        tables["versions.csv"].append(
            f'{bins},{{command-line-utilities}},{i},1000,{when},"{desc}",,{1000 * (10 - i)},2021,{{}},f,,{100 + i},'
            f'{{}},{row["license"]},,{row["version"]},{row["version"]},1,,,\\x{row["checksum"]},{when},f,,')
        tables["crate_downloads.csv"].append(f"{i},{1000 * (10 - i)}")
        tables["default_versions.csv"].append(f"{i},1,{100 + i}")
    entries = []
    for m, data in read_entries(sample):
        name = m.name.split("/")[-1]
        if m.isfile() and m.name.split("/")[-2] == "data" and name in tables:
            data = ("\n".join(tables[name]) + "\n").encode()
        entries.append((m, data))
    write_entries(entries, path)


class Setup:
    def __init__(self, tmp):
        for prog in ("git", "bwrap"):
            if shutil.which(prog) is None:
                raise SkipTest(f"{prog} is not installed")
        bundle = os.environ.get("FORGE_BUNDLE", "")
        if not bundle or not Path(bundle).exists():
            raise SkipTest(f"no bundle at FORGE_BUNDLE={bundle!r} (the e2e.bundle_build fixture makes it)")
        self.tmp = tmp
        self.env = RunEnv(tmp, ["fx-ok", *FAILING], hexyl=True)
        self.rows = json.loads(Path(self.env.queue).read_text())["crates"]
        www = tmp / "dump-www"
        www.mkdir()
        write_dump(www / "db-dump.tar.gz", self.rows)
        self.dump_server = TestServer(www).start()
        self.oci = RegistryServer(tmp / "oci")
        self.oci.start()
        self.origin = tmp / "origin.git"
        git(self.origin, "init", "--bare", "-q", "--initial-branch=main")
        src = tmp / "src"
        subprocess.run(["git", "clone", "-q", str(self.origin), str(src)], check=True, capture_output=True)
        (src / ".github" / "workflows").mkdir(parents=True)
        shutil.copy(WORKFLOW, src / ".github" / "workflows" / "forge.yml")
        (src / "forge.toml").write_text(self.forge_toml())
        for args in (["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "index repo"],
                     ["push", "-q", "origin", "HEAD:main"]):
            git(None, *args, cwd=src)
        # The runner image: rustup's toolchains (as on GitHub's images) and the test's cargo home.
        runner_env = {k: v for k, v in self.env.env.items() if k in ("CARGO_HOME", "RUSTUP_HOME", "PATH")}
        if "RUSTUP_HOME" not in runner_env and os.environ.get("RUSTUP_HOME"):
            runner_env["RUSTUP_HOME"] = os.environ["RUSTUP_HOME"]
        self.runner = LocalRunner(tmp / "runner", self.origin, SOURCE_DIR, repository="forge-test/index", env=runner_env,
                                  vars={"FORGE_TARGETS": HOST_TRIPLE, "FORGE_BUNDLE": f"file://{bundle}"},
                                  secrets={"GITHUB_TOKEN": "local-token"})

    def forge_toml(self):
        return "\n".join([
            "[ingest]", f'dump = "{self.dump_server.url("/db-dump.tar.gz")}"', 'since = "2025-01-01"', "",
            "[build]", 'builder = "cargo"', 'toolchain = "stable"', "offline = true", 'features = "default"',
            f'index-url = "{self.env.reg.index_url}"', f'crate-url = "{self.env.reg.crate_url_template()}"', "",
            "[run]", 'retry-backoff = "1s"', 'grace = "2s"', "jobs = 2", "",
            "[matrix]", 'default-duration = "30m"', "",
            "[publish]", f'registry = "{self.oci.url}"', ""])

    def stop(self):
        self.dump_server.stop()
        self.oci.stop()
        self.env.stop()


def runs(run, job):
    return run.jobs[job]


def test_workflow_runs_job_by_job(tmp):
    s = Setup(tmp)
    try:
        run = s.runner.run(WORKFLOW)
        (plan,) = runs(run, "plan")
        check(plan.result == "success", "the plan job", plan)
        matrix = json.loads(plan.outputs["matrix"])
        check(plan.outputs["jobs"] == "6" and [e["shard"] for e in matrix["include"]] == ["1/3", "2/3", "3/3"],
              f"three shards of six jobs: {plan.outputs}", plan)
        check("forge 0.1.0" in plan.log, "the action installed the bundle's forge", plan)

        builds = runs(run, "build")
        check(len(builds) == 3 and all(b.result == "success" for b in builds), f"three build jobs: {builds}", builds)
        seen = []
        for b, entry in zip(builds, matrix["include"]):
            journal = [json.loads(l) for l in (s.runner.artifacts / f"shard-{b.index}" / "journal.ndjson")
                       .read_text().splitlines() if l.strip()]
            check(len(journal) == entry["jobs"], f"shard {entry['shard']} ran its jobs: {journal}", b)
            for e in journal:
                if e["status"] == "failed":
                    check(f"::group::{e['crate']} " in b.log and "::endgroup::" in b.log, f"group for {e['crate']}", b)
                    check("::error title=" in b.log and e["crate"] in b.log, f"::error for {e['crate']}", b)
            seen += [e["crate"] for e in journal]
            check("target add" not in b.log, "the toolchain and target were already there: nothing installed", b)
        check(sorted(seen) == sorted(r["name"] for r in s.rows), f"the shards cover every crate once: {seen}")

        (merge,) = runs(run, "merge")
        check(merge.result == "success" and "committed" in merge.log, "the merge job commits and pushes", merge)
        log = git(s.origin, "log", "--format=%an|%s", "forge-index").splitlines()
        check(log == ["forge|forge merge: 3 shard(s), 6 job(s) (2 built, 4 failed)"], f"one pushed commit: {log}")
        files = sorted(git(s.origin, "ls-tree", "-r", "--name-only", "forge-index").split())
        check(files == ["CRATES_BUILT.json", f"metadata/{HOST}.json", "report.json", "retry.txt"], f"{files}")
        built = json.loads(git(s.origin, "show", "forge-index:CRATES_BUILT.json"))["crates"]
        check(built["hexyl"]["targets"][HOST_TRIPLE]["status"] == "built", f"hexyl built: {built['hexyl']}")
        for crate, reason in FAILING.items():
            check(built[crate]["targets"][HOST_TRIPLE]["reason"] == reason, f"{crate}: {built[crate]}")
        report = json.loads(git(s.origin, "show", "forge-index:report.json"))
        check(report["funnel"]["selected"] == 6, f"the ingest's funnel is in the report: {report['funnel']}")
        check("## forge report" in merge.summary and "| built | 2 |" in merge.summary, "report on the summary page",
              merge)
        check((s.runner.artifacts / "report" / "report.html").exists(), "the HTML report is an artifact")

        (publish,) = runs(run, "publish")
        check(publish.result == "success", "the publish job", publish)
        for crate, exe, version in (("hexyl", "hexyl", runenv.HEXYL_VERSION), ("fx-ok", "fx-ok", runenv.FX_VERSION)):
            repo = f"forge-test/{crate}/stable/{exe}"
            check(f"{version}-{HOST}" in tags(s.oci.url, repo), f"{repo} has its tag in the registry", publish)

        # GitHub's "re-run job" on merge: the same artifacts, nothing new to commit
        again = s.runner.run(WORKFLOW, rerun=run, only={"merge"})
        check(again.jobs["merge"][0].result == "success" and "unchanged" in again.jobs["merge"][0].log,
              "a re-run merge commits nothing", again.jobs["merge"][0])
        check(len(git(s.origin, "log", "--format=%H", "forge-index").splitlines()) == 1, "still one commit")
        dump_requests_before = len(s.dump_server.log)

        # the next scheduled run: the dump comes from the cache and is only revalidated; nothing to build
        check(any(k.startswith("forge-dump-") for k in s.runner.cache_keys()), f"dump cached: {s.runner.cache_keys()}")
        second = s.runner.run(WORKFLOW)
        (plan2,) = runs(second, "plan")
        check(plan2.result == "success" and plan2.outputs["jobs"] == "0", "nothing left to build", plan2)
        check("cache: restored forge-dump-" in plan2.log, "the dump was restored from the cache", plan2)
        revalidation = s.dump_server.log[dump_requests_before:]
        check(any("if-none-match" in {k.lower() for k in r["headers"]} for r in revalidation),
              f"forge asked whether the cached dump changed: {revalidation}", plan2)
        for job in ("build", "merge", "publish"):
            check(second.result(job) == "skipped", f"{job} is skipped when there is nothing to build", second.jobs[job])
    finally:
        s.stop()


def test_a_missing_hand_over_fails(tmp):
    """The same workflow with the build job's download of the plan artifact taken out."""
    s = Setup(tmp)
    try:
        wf = yaml.safe_load(WORKFLOW.read_text())
        steps = wf["jobs"]["build"]["steps"]
        wf["jobs"]["build"]["steps"] = [st for st in steps if (st.get("with") or {}).get("name") != "plan"]
        check(len(wf["jobs"]["build"]["steps"]) == len(steps) - 1, "the download step was there")
        broken = tmp / "broken.yml"
        broken.write_text(yaml.safe_dump(wf, sort_keys=False))
        run = s.runner.run(broken)
        check(run.result("plan") == "success", "the plan job still works", run.jobs["plan"])
        check(all(b.result == "failure" for b in run.jobs["build"]), "every build job fails without the plan",
              run.jobs["build"])
        check("plan/queue.json" in run.jobs["build"][0].log, "naming the missing file", run.jobs["build"][0])
    finally:
        s.stop()


if __name__ == "__main__":
    main([test_workflow_runs_job_by_job, test_a_missing_hand_over_fails])
