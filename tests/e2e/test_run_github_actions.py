"""Why: docs/github-actions.md promises a workflow: ingest -> matrix -> one `forge run --shard I/N` job per
matrix entry -> a merge job that commits the index to a branch. This runs the same sequence of forge commands
locally, as GitHub would (GITHUB_ACTIONS=true, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY files): 3 shards over
real crates (Debian's hexyl plus the fixture crates, some failing on purpose), a merge into a bare git
repository checked with plain `git`, a repeated merge that must change nothing, and a second matrix that
finds nothing left to build."""
import json
import shutil
import subprocess

import runenv
from harness import SkipTest, check, load_json, main
from runenv import HOST, HOST_TRIPLE, RunEnv, job, journal

FAILING = {"fx-compile-error": "compile-error", "fx-missing-lib": "missing-system-library",
           "fx-link-error": "link-error", "fx-build-script-panic": "build-script"}
FUNNEL = {"total": 111722, "with_bins": 24658, "cli_category": 8451, "candidates": 26000, "recent": 12000,
          "yanked": 20, "lib_only": 1947, "selected": 10033}


def git(repo, *args):
    p = subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"git {' '.join(args)}: {p.stderr}")
    return p.stdout


def read_outputs(path):
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        values[name] = value
    return values


def test_matrix_shards_merge_commit(tmp):
    if shutil.which("git") is None:
        raise SkipTest("git is not installed")
    env = RunEnv(tmp, ["fx-ok", *FAILING], hexyl=True)
    (tmp / "funnel.json").write_text(json.dumps(FUNNEL))
    gh_output, summary = tmp / "github_output", tmp / "step_summary"
    gh = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(gh_output), "GITHUB_STEP_SUMMARY": str(summary)}

    # plan job
    r = env.forge("matrix", "--queue", env.queue, "--target", HOST_TRIPLE, "--shards", "3", env=gh)
    check(r.code == 0, "forge matrix", r)
    matrix = json.loads(r.out)
    outputs = read_outputs(gh_output)
    check(json.loads(outputs["matrix"]) == matrix, f"matrix= in $GITHUB_OUTPUT is the printed JSON: {outputs}", r)
    check(outputs["shards"] == "3" and outputs["jobs"] == "6", f"shards=3 jobs=6: {outputs}", r)
    check([e["shard"] for e in matrix["include"]] == ["1/3", "2/3", "3/3"], f"three shards: {matrix}", r)
    check([e["jobs"] for e in matrix["include"]] == [2, 2, 2], f"balanced (no durations known yet): {matrix}", r)

    # shard jobs (one machine each on GitHub; one after another here)
    seen = []
    for entry in matrix["include"]:
        i = entry["shard"].split("/")[0]
        out = tmp / f"shard-{i}"
        r = env.run(out, "--shard", entry["shard"], "--expect-plan", entry["plan"], "--jobs", "2", env=gh)
        check(r.code == 0, f"shard {entry['shard']} runs", r)
        lines = journal(out / "journal.ndjson")
        check(len(lines) == entry["jobs"], f"shard {entry['shard']} ran its {entry['jobs']} jobs: {lines}", r)
        for e in lines:
            if e["status"] == "failed":
                check(f"::group::{e['crate']} " in r.out and "::endgroup::" in r.out, f"group for {e['crate']}", r)
                check(any(l.startswith("::error title=") and e["crate"] in l for l in r.out.splitlines()),
                      f"::error for {e['crate']}", r)
        seen += [job(e) for e in lines]
    crates = ["hexyl", "fx-ok", *FAILING]
    check(sorted(seen) == sorted(f"{c}@{runenv.HEXYL_VERSION if c == 'hexyl' else runenv.FX_VERSION} {HOST_TRIPLE}"
                                 for c in crates), f"the shards cover every job exactly once: {seen}")
    r = env.run(tmp / "wrong", "--shard", "1/3", "--expect-plan", "000000000000")
    check(r.code == 2 and "plan" in r.err, "a shard whose plan differs from the matrix refuses to run", r)

    # merge job: download the artifacts, merge, commit (push stays the workflow's)
    repo = tmp / "index.git"
    subprocess.run(["git", "init", "--bare", "-q", str(repo)], check=True)
    shards = [tmp / f"shard-{i}" for i in (1, 2, 3)]
    merged = tmp / "merged"
    merge = ["merge", *shards, "--out", merged, "--queue", env.queue, "--git-repo", repo, "--branch", "forge-index",
             "--git-author", "forge test <forge-test@example.com>"]
    r = env.forge(*merge, env=gh)
    check(r.code == 0 and "committed" in r.out, "forge merge commits", r)
    log = git(repo, "log", "--format=%an <%ae>|%s", "forge-index").splitlines()
    check(log == ["forge test <forge-test@example.com>|forge merge: 3 shard(s), 6 job(s) (2 built, 4 failed)"],
          f"one commit with a summary subject: {log}", r)
    files = sorted(git(repo, "ls-tree", "-r", "--name-only", "forge-index").split())
    check(files == ["CRATES_BUILT.json", "metadata/x86_64-Linux.json", "report.json", "retry.txt"],
          f"the branch holds the aggregates: {files}", r)
    built = json.loads(git(repo, "show", "forge-index:CRATES_BUILT.json"))["crates"]
    check(sorted(built) == sorted(crates), f"every crate in CRATES_BUILT.json: {sorted(built)}", r)
    check(built["hexyl"]["targets"][HOST_TRIPLE]["status"] == "built", f"hexyl built: {built['hexyl']}", r)
    for crate, reason in FAILING.items():
        check(built[crate]["targets"][HOST_TRIPLE]["reason"] == reason, f"{crate}: {built[crate]}", r)
    records = json.loads(git(repo, "show", f"forge-index:metadata/{HOST}.json"))
    check(sorted(x["pkg_name"] for x in records) == ["fx-ok", "fx-ok-helper", "hexyl"],
          f"soar records of every built executable: {[x['pkg_name'] for x in records]}", r)
    check(git(repo, "show", f"forge-index:metadata/{HOST}.json") == (merged / "metadata" / f"{HOST}.json").read_text(),
          "the committed file is the merged one", r)
    report = json.loads(git(repo, "show", "forge-index:report.json"))
    check(report["crates"] == {"queued": 6, "attempted": 6, "built": 2, "failed": 4, "success_rate": 0.3333},
          f"report counts: {report['crates']}", r)
    check(report["funnel"]["total"] == 111722, f"the queue's funnel is in the report: {report['funnel']}", r)
    merged_journal = journal(merged / "journal.ndjson")
    check(sorted(job(e) for e in merged_journal) == sorted(seen), "the merged journal holds every shard's lines", r)

    # the same merge again changes nothing: no commit, same files
    before = {p: p.read_bytes() for p in merged.rglob("*") if p.is_file()}
    r = env.forge(*merge, env=gh)
    check(r.code == 0 and "unchanged" in r.out, "a repeated merge makes no commit", r)
    check(len(git(repo, "log", "--format=%H", "forge-index").splitlines()) == 1, "still one commit", r)
    check({p: p.read_bytes() for p in merged.rglob("*") if p.is_file()} == before, "no file changed", r)
    # a merge job that forgot to check the branch out loses nothing: the branch is read as the base
    r = env.forge("merge", shards[0], "--out", tmp / "fresh", "--git-repo", repo, "--branch", "forge-index", env=gh)
    check(r.code == 0 and "unchanged" in r.out, "merging one shard into a fresh dir keeps the whole index", r)
    check(len(load_json(tmp / "fresh" / "CRATES_BUILT.json")["crates"]) == 6, "all six crates are still there", r)

    # the summary job
    r = env.forge("report", "--out", merged, "--format", "markdown", env=gh)
    check(r.code == 0 and "## forge report" in r.out, "markdown report", r)
    text = summary.read_text()
    check(text == r.out, "the markdown is appended to $GITHUB_STEP_SUMMARY", r)
    check("| built | 2 |" in text and "| build-script | 1 |" in text and "111,722" in text, "figures in the summary", r)

    # the next scheduled run: nothing new to build
    gh_output.write_text("")
    r = env.forge("matrix", "--queue", env.queue, "--built", merged / "CRATES_BUILT.json", "--target", HOST_TRIPLE,
                  "--max-jobs", "256", env=gh)
    check(r.code == 0 and json.loads(r.out) == {"include": []}, "nothing left to build", r)
    check(read_outputs(gh_output)["jobs"] == "0", "jobs=0 for the workflow's `if:`", r)
    env.stop()


if __name__ == "__main__":
    main([test_matrix_shards_merge_commit])
