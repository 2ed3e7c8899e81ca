"""Why: docs/workflows/forge.yml is what users run on GitHub, and the only honest local test of it is to run
that file: every job in its own clean directory (workspace, HOME, RUNNER_TEMP), with nothing but what its
steps check out, download or restore, so a hand-over the workflow forgets fails here as it would there.
This is a small runner for the part of GitHub Actions that workflow and action.yml use; anything else in a
workflow is an error (Unsupported), never silently skipped.

    runner = LocalRunner(work_dir, origin_repo, action_dir, vars={...}, secrets={...}, env={...})
    run = runner.run(workflow_path)          # a WorkflowRun: run.jobs[job_id] -> [JobRun, ...]
    run = runner.run(path, rerun=run, only={"merge"})   # GitHub's "re-run job": other jobs' results kept
    JobRun: .result (success | failure | skipped), .outputs, .log, .summary, .workspace, .home

Supported: `on`/`permissions`/`concurrency` (read, not enforced), workflow/job/step `env`, job `needs`,
`if`, `outputs`, `strategy.matrix` (include lists, from fromJSON), `runs-on`, `timeout-minutes`; steps with
`run` (bash -e -o pipefail, $GITHUB_OUTPUT/ENV/PATH/STEP_SUMMARY) or `uses` of actions/checkout,
actions/upload-artifact, actions/download-artifact, actions/cache (restore, save, post-job save), and the
composite action in `action_dir` (`./` or `<owner>/forge@<ref>`). Expressions: contexts github, env, vars,
secrets, job, steps, needs, matrix, strategy, runner, inputs; operators ! == != < <= > >= && || and ( );
functions contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, success, failure,
always, cancelled. `container:` and `services:` are refused: a job here runs on this machine as it is.
"""
import fnmatch
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import yaml


class Unsupported(Exception):
    pass


# -- expressions -------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])"
                    r"|(?P<id>[A-Za-z_][A-Za-z0-9_-]*))")
_STATUS = ("success", "failure", "always", "cancelled")


def _tokens(text):
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unsupported(f"expression: cannot read {text[pos:]!r} in {text!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _num(v):
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return float(v.strip()) if v.strip() else 0
        except ValueError:
            return float("nan")
    return float("nan")


def _eq(a, b):
    if type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        if isinstance(a, str):
            return a.lower() == b.lower()
        return a == b
    return _num(a) == _num(b)


def truthy(v):
    return not (v is None or v is False or v == 0 or v == "")


def to_string(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, indent=2)
    return str(v)


def _get(obj, key):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.lower() == str(key).lower():
                return v
        return None
    if isinstance(obj, list) and isinstance(key, (int, float)) and 0 <= int(key) < len(obj):
        return obj[int(key)]
    return None


class _Parser:
    def __init__(self, text, ctx, funcs):
        self.toks, self.i, self.ctx, self.funcs, self.text = _tokens(text), 0, ctx, funcs, text

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise Unsupported(f"expression: expected {value!r} in {self.text!r}")
        self.i += 1
        return tok

    def parse(self):
        v = self.or_()
        if self.i != len(self.toks):
            raise Unsupported(f"expression: trailing {self.toks[self.i:]} in {self.text!r}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek()[1] == "||":
            self.take()
            w = self.and_()
            v = v if truthy(v) else w
        return v

    def and_(self):
        v = self.cmp()
        while self.peek()[1] == "&&":
            self.take()
            w = self.cmp()
            v = w if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        while self.peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            w = self.unary()
            if op == "==":
                v = _eq(v, w)
            elif op == "!=":
                v = not _eq(v, w)
            else:
                a, b = (v.lower(), w.lower()) if isinstance(v, str) and isinstance(w, str) else (_num(v), _num(w))
                v = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return v

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self):
        v = self.primary()
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if name == "*":
                    raise Unsupported("expression: object filters (.*) are not supported")
                v = _get(v, name)
            else:
                key = self.or_()
                self.take("]")
                v = _get(v, key)
        return v

    def primary(self):
        kind, value = self.take()
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "str":
            return value[1:-1].replace("''", "'")
        if value == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind == "id":
            low = value.lower()
            if low in ("true", "false"):
                return low == "true"
            if low == "null":
                return None
            if self.peek()[1] == "(":
                self.take()
                args = []
                while self.peek()[1] != ")":
                    args.append(self.or_())
                    if self.peek()[1] == ",":
                        self.take()
                self.take(")")
                fn = self.funcs.get(low)
                if fn is None:
                    raise Unsupported(f"expression: function {value}() is not supported")
                return fn(*args)
            if low not in self.ctx:
                raise Unsupported(f"expression: context {value!r} is not available here ({self.text!r})")
            return self.ctx[low]
        raise Unsupported(f"expression: unexpected {value!r} in {self.text!r}")


def _format(fmt, *args):
    def rep(m):
        return to_string(args[int(m.group(1))])
    return re.sub(r"\{(\d+)\}", rep, fmt.replace("{{", "\0").replace("}}", "\1")).replace("\0", "{").replace("\1", "}")


def _contains(hay, needle):
    if isinstance(hay, list):
        return any(_eq(x, needle) for x in hay)
    return to_string(needle).lower() in to_string(hay).lower()


# -- the runner --------------------------------------------------------------------------------------------

class JobRun:
    def __init__(self, job_id, index, root):
        self.job_id, self.index = job_id, index
        self.root = root
        self.workspace, self.home, self.temp = root / "workspace", root / "home", root / "temp"
        self.result, self.outputs, self.log, self.summary = "skipped", {}, "", ""
        self.steps_log = []

    def __repr__(self):
        return f"<{self.job_id}#{self.index} {self.result}>\n{self.log[-6000:]}"


class WorkflowRun:
    def __init__(self, run_id):
        self.run_id, self.jobs = run_id, {}

    def result(self, job_id):
        runs = self.jobs.get(job_id, [])
        if not runs or all(r.result == "skipped" for r in runs):
            return "skipped"
        return "failure" if any(r.result == "failure" for r in runs) else "success"

    def outputs(self, job_id):
        out = {}
        for r in self.jobs.get(job_id, []):
            out.update({k: v for k, v in r.outputs.items() if v != ""})
        return out


class LocalRunner:
    def __init__(self, work, origin, action_dir, vars=None, secrets=None, env=None, repository="forge-test/index",
                 step_timeout=1500):
        self.work, self.origin, self.action_dir = Path(work), Path(origin), Path(action_dir)
        self.vars, self.secrets, self.base_env = dict(vars or {}), dict(secrets or {}), dict(env or {})
        self.repository, self.step_timeout = repository, step_timeout
        self.caches = self.work / "caches"
        self.caches.mkdir(parents=True, exist_ok=True)
        self.artifacts = None  # work/artifacts/<run id>: artifacts belong to one workflow run
        self.run_count = 0

    # -- workflow and jobs ----------------------------------------------------------------------------------
    def run(self, workflow_path, rerun=None, only=None):
        wf = yaml.safe_load(Path(workflow_path).read_text())
        if rerun is None:
            self.run_count += 1
            run = WorkflowRun(1000 + self.run_count)
            self.attempt = 1
            self.artifacts = self.work / "artifacts" / str(run.run_id)
        else:
            run = rerun
            self.attempt = getattr(self, "attempt", 1) + 1
        jobs = wf.get("jobs") or {}
        for job_id, job in jobs.items():
            for key in ("container", "services", "uses"):
                if key in job:
                    raise Unsupported(f"job {job_id}: '{key}' is not supported by the local runner")
        done = set(run.jobs) if rerun is not None else set()
        if only is not None:
            done = {j for j in jobs if j not in only}
        pending = [j for j in jobs if j not in done]
        while pending:
            ready = [j for j in pending if all(n in done for n in self._needs(jobs[j]))]
            if not ready:
                raise Unsupported(f"jobs with unmet or circular needs: {pending}")
            job_id = ready[0]
            run.jobs[job_id] = self._run_job(wf, job_id, jobs[job_id], run)
            done.add(job_id)
            pending.remove(job_id)
        return run

    @staticmethod
    def _needs(job):
        needs = job.get("needs") or []
        return [needs] if isinstance(needs, str) else list(needs)

    def _github(self, run, job_id, workspace):
        owner = self.repository.split("/")[0]
        return {"run_id": str(run.run_id), "run_number": str(self.run_count), "run_attempt": str(self.attempt),
                "repository": self.repository, "repository_owner": owner, "server_url": "https://github.com",
                "workspace": str(workspace), "job": job_id, "event_name": "workflow_dispatch",
                "ref": "refs/heads/main", "ref_name": "main", "sha": self._origin_sha(), "token": "local-token",
                "actor": owner}

    def _origin_sha(self):
        p = subprocess.run(["git", "--git-dir", str(self.origin), "rev-parse", "main"], capture_output=True, text=True)
        return p.stdout.strip()

    def _run_job(self, wf, job_id, job, run):
        needs_ctx = {n: {"result": run.result(n), "outputs": run.outputs(n)} for n in self._needs(job)}
        needs_ok = all(v["result"] == "success" for v in needs_ctx.values())
        base = {"github": self._github(run, job_id, ""), "vars": self.vars, "secrets": self.secrets,
                "needs": needs_ctx, "inputs": {}}
        wf_env = {k: to_string(self.interp(v, dict(base, env={}), needs_ok)) for k, v in (wf.get("env") or {}).items()}
        ctx = dict(base, env=wf_env)
        cond = job.get("if", "success()")
        if not truthy(self.condition(cond, ctx, needs_ok)):
            return [JobRun(job_id, 0, self.work / f"run{run.run_id}" / job_id)]
        combos = [{}]
        strategy = job.get("strategy") or {}
        if "matrix" in strategy:
            matrix = self.interp(strategy["matrix"], ctx, needs_ok)
            if not isinstance(matrix, dict) or set(matrix) - {"include"}:
                raise Unsupported(f"job {job_id}: only matrix include lists are supported: {matrix!r}")
            combos = matrix.get("include") or []
            if not combos:
                raise Unsupported(f"job {job_id}: an empty matrix fails on GitHub")
        runs = []
        for index, combo in enumerate(combos):
            jr = JobRun(job_id, index, self.work / f"run{run.run_id}-{self.attempt}" / f"{job_id}-{index}")
            runs.append(jr)
            self._execute(wf, job_id, job, jr, run, needs_ctx, wf_env, combo,
                          {"job-index": index, "job-total": len(combos), "fail-fast": strategy.get("fail-fast", True)})
        return runs

    def _execute(self, wf, job_id, job, jr, run, needs_ctx, wf_env, matrix, strategy):
        for d in (jr.workspace, jr.home, jr.temp):
            d.mkdir(parents=True)
        self.job = jr
        jr.result = "success"
        jr.post = []
        ctx = {"github": self._github(run, job_id, jr.workspace), "vars": self.vars, "secrets": self.secrets,
               "needs": needs_ctx, "matrix": matrix, "strategy": strategy, "inputs": {},
               "runner": {"os": "Linux", "arch": "X64", "temp": str(jr.temp), "name": "local"},
               "job": {"status": "success"}, "steps": {}}
        env = dict(wf_env)
        ctx["env"] = env
        for k, v in (job.get("env") or {}).items():
            env[k] = to_string(self.interp(v, ctx, True))
        jr.process_env = self._process_env(jr, ctx)
        jr.path_adds, jr.env_adds = [], {}
        for n, step in enumerate(job.get("steps") or []):
            self._step(step, ctx, ctx["steps"], jr, f"{job_id}[{n}]", action=None)
        for post in reversed(jr.post):
            post()
        outputs = {}
        for k, v in (job.get("outputs") or {}).items():
            outputs[k] = to_string(self.interp(v, ctx, True))
        jr.outputs = outputs

    def _process_env(self, jr, ctx):
        gh = ctx["github"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        env.update(self.base_env)
        env.update({"HOME": str(jr.home), "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(jr.workspace),
                    "RUNNER_TEMP": str(jr.temp), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
                    "GITHUB_RUN_ID": gh["run_id"], "GITHUB_RUN_NUMBER": gh["run_number"],
                    "GITHUB_RUN_ATTEMPT": gh["run_attempt"], "GITHUB_REPOSITORY": gh["repository"],
                    "GITHUB_REPOSITORY_OWNER": gh["repository_owner"], "GITHUB_SERVER_URL": gh["server_url"],
                    "GITHUB_JOB": gh["job"], "GITHUB_SHA": gh["sha"], "GITHUB_REF": gh["ref"],
                    "GITHUB_EVENT_NAME": gh["event_name"], "GITHUB_ACTOR": gh["actor"]})
        return env

    # -- steps ------------------------------------------------------------------------------------------------
    def condition(self, text, ctx, ok):
        text = str(text).strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2].strip()
        if not any(re.search(rf"\b{f}\s*\(", text) for f in _STATUS):
            text = f"success() && ({text})"
        return self.evaluate(text, ctx, ok)

    def evaluate(self, text, ctx, ok):
        ws = Path(ctx["github"].get("workspace") or ".")

        def hash_files(*patterns):
            h = hashlib.sha256()
            files = sorted({f for p in patterns for f in glob.glob(str(ws / p), recursive=True) if Path(f).is_file()})
            for f in files:
                h.update(hashlib.sha256(Path(f).read_bytes()).digest())
            return h.hexdigest() if files else ""

        funcs = {"success": lambda: ok, "failure": lambda: not ok, "always": lambda: True, "cancelled": lambda: False,
                 "contains": _contains, "startswith": lambda a, b: to_string(a).lower().startswith(to_string(b).lower()),
                 "endswith": lambda a, b: to_string(a).lower().endswith(to_string(b).lower()), "format": _format,
                 "join": lambda a, sep=",": to_string(sep).join(to_string(x) for x in a) if isinstance(a, list)
                 else to_string(a), "tojson": lambda v: json.dumps(v, indent=2), "fromjson": lambda s: json.loads(s),
                 "hashfiles": hash_files}
        return _Parser(text, {k.lower(): v for k, v in ctx.items()}, funcs).parse()

    def interp(self, value, ctx, ok):
        """${{ }} in a string (one whole expression keeps its type), recursively in lists and maps."""
        if isinstance(value, dict):
            return {k: self.interp(v, ctx, ok) for k, v in value.items()}
        if isinstance(value, list):
            return [self.interp(v, ctx, ok) for v in value]
        if not isinstance(value, str) or "${{" not in value:
            return value
        whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", value, re.S)
        if whole:
            return self.evaluate(whole.group(1), ctx, ok)
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: to_string(self.evaluate(m.group(1), ctx, ok)), value, flags=re.S)

    def _step(self, step, ctx, steps_ctx, jr, label, action):
        ok = jr.result == "success"
        env = dict(ctx["env"])
        ctx = dict(ctx, env=env)
        if not truthy(self.condition(step.get("if", "success()"), ctx, ok)):
            if step.get("id"):
                steps_ctx[step["id"]] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            return
        for k, v in (step.get("env") or {}).items():
            env[k] = to_string(self.interp(v, ctx, ok))
        name = step.get("name") or step.get("uses") or step.get("run", "").split("\n")[0]
        jr.log += f"\n== {label} {self.interp(name, ctx, ok)}\n"
        outputs, success = {}, True
        if "run" in step:
            if action is not None and "shell" not in step:
                raise Unsupported(f"{label}: a composite action's run step needs 'shell'")
            shell = step.get("shell", "bash")
            if shell != "bash":
                raise Unsupported(f"{label}: shell {shell!r}")
            script = self.interp(step["run"], ctx, ok)
            cwd = jr.workspace / step.get("working-directory", ".")
            success, outputs = self._bash(script, env, cwd, jr, action)
        elif "uses" in step:
            with_ = {k: to_string(self.interp(v, ctx, ok)) for k, v in (step.get("with") or {}).items()}
            success, outputs = self._uses(step["uses"], with_, env, ctx, jr, label)
        else:
            raise Unsupported(f"{label}: a step needs run or uses")
        if step.get("id"):
            outcome = "success" if success else "failure"
            steps_ctx[step["id"]] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
        if not success and not step.get("continue-on-error"):
            jr.result = "failure"
            ctx["job"] = {"status": "failure"}

    def _bash(self, script, env, cwd, jr, action):
        files = {name: jr.temp / f"_{name}_{len(jr.log)}" for name in ("output", "env", "path", "summary")}
        for f in files.values():
            f.write_text("")
        script_file = jr.temp / f"_step_{len(jr.log)}.sh"
        script_file.write_text(script)
        penv = dict(jr.process_env)
        penv.update(jr.env_adds)
        penv.update(env)
        penv["PATH"] = ":".join(list(reversed(jr.path_adds)) + [jr.process_env["PATH"]])
        penv.update({"GITHUB_OUTPUT": str(files["output"]), "GITHUB_ENV": str(files["env"]),
                     "GITHUB_PATH": str(files["path"]), "GITHUB_STEP_SUMMARY": str(files["summary"])})
        if action is not None:
            penv["GITHUB_ACTION_PATH"] = str(action)
        try:
            p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)], cwd=cwd,
                               env=penv, capture_output=True, text=True, timeout=self.step_timeout,
                               stdin=subprocess.DEVNULL)
            code, out = p.returncode, p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            code, out = 124, f"{e.stdout or ''}{e.stderr or ''}\n(step timed out)"
        jr.log += out + (f"\n(exit {code})\n" if code else "")
        jr.steps_log.append(out)
        jr.path_adds += [l for l in files["path"].read_text().splitlines() if l.strip()]
        jr.env_adds.update(_key_values(files["env"].read_text()))
        jr.summary += files["summary"].read_text()
        return code == 0, _key_values(files["output"].read_text())

    # -- uses -------------------------------------------------------------------------------------------------
    def _uses(self, uses, with_, env, ctx, jr, label):
        name, _, ref = uses.partition("@")
        if uses == "./" or re.fullmatch(r"[^/]+/forge", name):
            return self._composite(ref or "local", name, with_, ctx, jr, label)
        handlers = {"actions/checkout": self._checkout, "actions/upload-artifact": self._upload,
                    "actions/download-artifact": self._download, "actions/cache": self._cache,
                    "actions/cache/restore": self._cache, "actions/cache/save": self._cache}
        if name not in handlers or ref != "v4":
            raise Unsupported(f"{label}: uses {uses}")
        try:
            outputs = handlers[name](with_, jr, name) or {}
            return True, outputs
        except StepFailed as e:
            jr.log += f"{uses}: {e}\n"
            return False, {}

    def _composite(self, ref, repo, with_, ctx, jr, label):
        meta = yaml.safe_load((self.action_dir / "action.yml").read_text())
        if meta["runs"]["using"] != "composite":
            raise Unsupported("only composite actions")
        unknown = set(with_) - set(meta.get("inputs") or {})
        if unknown:
            raise Unsupported(f"{label}: inputs {sorted(unknown)} are not declared in action.yml")
        gh = dict(ctx["github"], action_path=str(self.action_dir), action_ref=ref,
                  action_repository=repo if repo != "./" else self.repository)
        inner = {"github": gh, "runner": ctx["runner"], "env": dict(ctx["env"]), "job": ctx["job"],
                 "strategy": ctx["strategy"], "matrix": ctx["matrix"], "steps": {}, "vars": self.vars}
        inputs = {}
        for k, spec in (meta.get("inputs") or {}).items():
            default = self.interp(to_string((spec or {}).get("default", "")), inner, True)
            inputs[k] = with_.get(k, to_string(default))
        inner["inputs"] = inputs
        before = jr.result
        for n, step in enumerate(meta["runs"]["steps"]):
            self._step(step, inner, inner["steps"], jr, f"{label}/{n}", action=self.action_dir)
        outputs = {k: to_string(self.interp(v.get("value", ""), inner, True)) for k, v in (meta.get("outputs") or {}).items()}
        return jr.result == before, outputs

    def _checkout(self, with_, jr, _):
        depth = with_.get("fetch-depth", "1")
        args = ["git", "clone", "--quiet", "--branch", "main"] + ([] if depth == "0" else ["--depth", depth])
        p = subprocess.run(args + [f"file://{self.origin}", str(jr.workspace)], capture_output=True, text=True)
        if p.returncode != 0:
            raise StepFailed(p.stderr)
        for cfg in (["user.name", "github-actions[bot]"], ["user.email", "github-actions@localhost"]):
            subprocess.run(["git", "-C", str(jr.workspace), "config", *cfg], check=True)

    def _files(self, patterns, base):
        found = []
        for pat in [l.strip() for l in patterns.splitlines() if l.strip()]:
            path = os.path.expanduser(pat.replace("~", str(self.job.home), 1)) if pat.startswith("~") else pat
            full = path if os.path.isabs(path) else str(base / path)
            for hit in sorted(glob.glob(full.rstrip("/"), recursive=True)):
                found.append(Path(hit))
        return found

    def _upload(self, with_, jr, _):
        name = with_.get("name") or "artifact"
        dest = self.artifacts / name
        if dest.exists():
            if with_.get("overwrite") != "true":
                raise StepFailed(f"an artifact named {name} already exists in this run")
            shutil.rmtree(dest)
        hits = self._files(with_.get("path", ""), jr.workspace)
        files = [f for h in hits for f in ([h] if h.is_file() else sorted(p for p in h.rglob("*") if p.is_file()))]
        if not files:
            mode = with_.get("if-no-files-found", "warn")
            if mode == "error":
                raise StepFailed(f"no files found for {with_.get('path')}")
            jr.log += f"upload-artifact {name}: no files found, nothing uploaded\n"
            return {}
        roots = [h if h.is_dir() else h.parent for h in hits]
        common = Path(os.path.commonpath([str(r) for r in roots]))
        for f in files:
            target = dest / f.relative_to(common)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
        return {"artifact-id": name}

    def _download(self, with_, jr, _):
        path = Path(with_.get("path") or ".")
        path = path if path.is_absolute() else jr.workspace / path
        existing = sorted(p.name for p in self.artifacts.iterdir()) if self.artifacts.exists() else []
        if with_.get("name"):
            if with_["name"] not in existing:
                raise StepFailed(f"artifact {with_['name']} not found (there are: {existing})")
            shutil.copytree(self.artifacts / with_["name"], path, dirs_exist_ok=True)
            return {"download-path": str(path)}
        names = [n for n in existing if fnmatch.fnmatchcase(n, with_.get("pattern", "*"))]
        for n in names:
            target = path if with_.get("merge-multiple") == "true" else path / n
            shutil.copytree(self.artifacts / n, target, dirs_exist_ok=True)
        path.mkdir(parents=True, exist_ok=True)
        return {"download-path": str(path)}

    # actions/cache: a key names an immutable archive of the paths; HOME-relative paths move with HOME.
    def _cache(self, with_, jr, which):
        key, paths = with_.get("key", ""), with_.get("path", "")
        if not key or not paths:
            raise StepFailed("cache needs key and path")
        outputs = {}
        if which in ("actions/cache", "actions/cache/restore"):
            outputs = self._cache_restore(key, with_.get("restore-keys", ""), jr)
        if which == "actions/cache/save":
            self._cache_save(key, paths, jr)
        if which == "actions/cache":
            if outputs.get("cache-hit") != "true":
                jr.post.append(lambda: jr.result == "success" and self._cache_save(key, paths, jr))
        return outputs

    def _cache_restore(self, key, restore_keys, jr):
        stored = sorted(self.caches.glob("*.tar"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        names = [_unquote(p.stem) for p in stored]
        hit = key if key in names else None
        if hit is None:
            for prefix in [l.strip() for l in restore_keys.splitlines() if l.strip()]:
                hit = next((n for n in names if n.startswith(prefix)), None)
                if hit:
                    break
        if hit is None:
            return {"cache-hit": "false", "cache-primary-key": key, "cache-matched-key": ""}
        with tarfile.open(self.caches / f"{_quote(hit)}.tar") as tar:
            for member in tar.getmembers():
                rel = Path(member.name)
                target = (jr.home / rel.relative_to("HOME")) if rel.parts[0] == "HOME" else Path("/") / rel.relative_to("ABS")
                if member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        jr.log += f"cache: restored {hit}\n"
        return {"cache-hit": "true" if hit == key else "false", "cache-primary-key": key, "cache-matched-key": hit}

    def _cache_save(self, key, paths, jr):
        archive = self.caches / f"{_quote(key)}.tar"
        if archive.exists():
            jr.log += f"cache: {key} exists, not saved again\n"
            return True
        hits = self._files(paths, jr.workspace)
        files = [f for h in hits for f in ([h] if h.is_file() else sorted(p for p in h.rglob("*") if p.is_file()))]
        if not files:
            jr.log += f"cache: nothing to save for {key}\n"
            return True
        with tarfile.open(archive, "w") as tar:
            for f in files:
                try:
                    name = "HOME/" + str(f.relative_to(jr.home))
                except ValueError:
                    name = "ABS/" + str(f).lstrip("/")
                tar.add(str(f), arcname=name)
        jr.log += f"cache: saved {key} ({len(files)} files)\n"
        return True

    def cache_keys(self):
        return sorted(_unquote(p.stem) for p in self.caches.glob("*.tar"))


class StepFailed(Exception):
    pass


def _quote(key):
    return key.replace("%", "%25").replace("/", "%2F")


def _unquote(name):
    return name.replace("%2F", "/").replace("%25", "%")


def _key_values(text):
    """$GITHUB_OUTPUT / $GITHUB_ENV: name=value lines and name<<DELIM heredocs."""
    out, lines, i = {}, text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^([^=<]+)<<(.+)$", line)
        if m:
            name, delim, body = m.group(1), m.group(2), []
            i += 1
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[name] = "\n".join(body)
        elif "=" in line:
            name, _, value = line.partition("=")
            out[name] = value
        i += 1
    return out
