"""The README's Quick start, as a newcomer runs it: `bash scripts/demo.sh`, then `bash scripts/test.sh`, in
that order, in a fresh clone. The demo configures build/ without the tests; the test script must configure
them back and find them. To stay cheap it runs only one suite (FORGE_TEST_ONLY), and the clone's build hits
the main build's ccache (scripts/ccache-env.sh); a test script that finds no test must fail.
"""
import os
import shutil
import subprocess
import time

from harness import SOURCE_DIR, SkipTest, check, load_json, main


class Run:
    def __init__(self, proc, seconds):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.seconds = seconds

    def __repr__(self):
        return f"exit={self.code} after {self.seconds:.1f} s\n--- stdout\n{self.out[-6000:]}\n--- stderr\n{self.err[-6000:]}"


def fresh_clone(dest):
    """The checkout as a clone of it would be, with the working tree's uncommitted changes (so that the check
    tests what is about to be committed): every tracked or unignored file, nothing of build/ or forge-out/."""
    if shutil.which("git") is None or not (SOURCE_DIR / ".git").exists():
        raise SkipTest("the source tree is not a git checkout")
    listed = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, listed):
        src = SOURCE_DIR / os.fsdecode(name)
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def script(clone, name, **env):
    full_env = dict(os.environ)
    for var in ("FORGE_BIN", "FORGE_SOURCE_DIR", "FORGE_BUILD_DIR"):  # the clone's scripts find their own
        full_env.pop(var, None)
    full_env.update(env)
    start = time.monotonic()
    proc = subprocess.run(["bash", f"scripts/{name}"], cwd=clone, env=full_env, capture_output=True, text=True,
                          timeout=1500, stdin=subprocess.DEVNULL)
    return Run(proc, time.monotonic() - start)


def test_demo_then_test_script_in_a_fresh_clone(tmp):
    clone = tmp / "forge"
    fresh_clone(clone)

    demo = script(clone, "demo.sh")
    check(demo.code == 0, "scripts/demo.sh succeeds", demo)
    check("Selected to build" in demo.out and (clone / "forge-out" / "queue.json").exists(), "the demo prints the funnel",
          demo)
    check(load_json(clone / "forge-out" / "funnel.json")["selected"] > 0, "the demo selects crates", demo)
    cache = (clone / "build" / "CMakeCache.txt").read_text()
    check("FORGE_TESTS:BOOL=OFF" in cache, "the demo configures build/ without the tests", demo)

    suite = script(clone, "test.sh", FORGE_TEST_ONLY=r"^e2e[.]test_cli$")
    check(suite.code == 0, "scripts/test.sh after the demo succeeds", suite)
    check("e2e.test_cli" in suite.out and "100% tests passed, 0 tests failed out of 1" in suite.out,
          "scripts/test.sh configured the suite back and ran it", suite)
    check("FORGE_TESTS:BOOL=ON" in (clone / "build" / "CMakeCache.txt").read_text(), "tests are configured", suite)

    # The failure the check exists for: a run that finds no test fails instead of passing.
    none = script(clone, "test.sh", FORGE_TEST_ONLY=r"^no-such-test$")
    check(none.code != 0 and "No tests were found" in none.out + none.err, "finding no test fails", none)
    print(f"demo.sh {demo.seconds:.1f} s, test.sh {suite.seconds:.1f} s, test.sh finding nothing "
          f"{none.seconds:.1f} s")


if __name__ == "__main__":
    main([test_demo_then_test_script_in_a_fresh_clone])
