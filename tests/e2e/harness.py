"""Shared helpers for forge's end-to-end tests: they run the real binary in a temp dir.

Each test_*.py is one ctest entry; it exits 0 on success, 1 on failure, 77 to skip.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("FORGE_SOURCE_DIR", Path(__file__).resolve().parents[2]))
FIXTURES = SOURCE_DIR / "tests" / "fixtures"
SKIP = 77


def forge_bin() -> str:
    path = os.environ.get("FORGE_BIN")
    if not path:
        for cand in (SOURCE_DIR / "build" / "src" / "forge",):
            if cand.exists():
                return str(cand)
        raise SystemExit("FORGE_BIN is not set")
    return path


class Result:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"exit={self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def run_forge(*args, cwd=None, env=None, timeout=600, input=None) -> Result:
    full_env = dict(os.environ)
    full_env.setdefault("NO_COLOR", "1")
    if env:
        full_env.update(env)
    proc = subprocess.run([forge_bin(), *map(str, args)], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL)
    return Result(proc)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check(cond, message, result=None):
    if not cond:
        raise AssertionError(message + (f"\n{result!r}" if result is not None else ""))


def expect_error(result: Result, code: int, *fragments):
    """A failure must be one `forge: error:` line with the expected exit code and text fragments."""
    check(result.code == code, f"expected exit {code}, got {result.code}", result)
    lines = [l for l in result.err.splitlines() if l.startswith("forge: error:")]
    check(len(lines) == 1, "expected exactly one 'forge: error:' line", result)
    for frag in fragments:
        check(frag in lines[0], f"error line lacks {frag!r}: {lines[0]}", result)


def main(tests):
    """Runs the given test functions, each with a fresh temp dir; prints a summary line."""
    passed = failed = 0
    only = sys.argv[1:]
    for fn in tests:
        if only and fn.__name__ not in only:
            continue
        tmp = Path(tempfile.mkdtemp(prefix="forge-e2e-"))
        try:
            fn(tmp)
            passed += 1
            print(f"ok   {fn.__name__}")
        except SkipTest as e:
            print(f"skip {fn.__name__}: {e}")
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


class SkipTest(Exception):
    pass
