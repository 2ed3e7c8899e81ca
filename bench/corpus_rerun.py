"""Why: checking a proposed fix for a corpus failure by hand means rerunning the exact cargo command forge ran,
in the build directory it kept (`bench/corpus.sh --keep-build-dir`), with one thing changed. This reads the
command and forge's environment from the job's build.log ("forge: attempt N:" and "forge: env:" lines) and
reruns it outside the sandbox (same cargo home, same target dir, so finished units are reused).

    python3 bench/corpus_rerun.py RUN_DIR CRATE [--attempt N] [--default-features] [--rustflags '...']
                                  [--env K=V ...] [--cargo-arg ARG ...] [--log FILE]

--rustflags appends to forge's RUSTFLAGS (e.g. '--cap-lints warn'); --env adds variables (e.g.
PKG_CONFIG_ALL_STATIC=1); --default-features drops --all-features. Prints the exit status, the last error
lines and, when it built, whether each executable is static.
"""
import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
import buildenv  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("crate")
    ap.add_argument("--attempt", type=int, default=0, help="which attempt's command (default: the last)")
    ap.add_argument("--default-features", action="store_true")
    ap.add_argument("--rustflags", default="")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--cargo-arg", action="append", default=[], help="extra cargo argument (repeatable)")
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--log", type=Path)
    args = ap.parse_args()
    args.run_dir = args.run_dir.resolve()

    logs = sorted((args.run_dir / "out").glob(f"*/{args.crate}/*/build.log"))
    if not logs:
        sys.exit(f"rerun: no build.log for {args.crate} under {args.run_dir / 'out'}")
    attempts, env, unset = {}, {}, []
    for line in logs[0].read_text(errors="replace").splitlines():
        if line.startswith("forge: attempt ") and ": " in line[15:] and " finished in " not in line:
            n, cmd = line[15:].split(": ", 1)
            attempts[int(n)] = shlex.split(cmd)
        elif line.startswith("forge: env: unset "):
            unset.append(line.split()[-1])
        elif line.startswith("forge: env: "):
            k, v = line[len("forge: env: "):].split("=", 1)
            env[k] = v
    if not attempts:
        sys.exit(f"rerun: {logs[0]} names no cargo attempt (did the fetch fail?)")
    argv = attempts[args.attempt or max(attempts)]
    if args.default_features:
        argv = [a for a in argv if a != "--all-features"]
    argv = argv + args.cargo_arg
    if "--jobs" in argv:
        argv[argv.index("--jobs") + 1] = args.jobs
    target_dir = Path(env["CARGO_TARGET_DIR"])
    crate_dir = next((target_dir.parent / "src").iterdir())
    full = dict(os.environ)
    for k in unset:
        full.pop(k, None)
    full.update(buildenv.build_env(args.run_dir, args.run_dir / "cargo-home"))
    for k in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TMPDIR"):
        full.pop(k, None)
    full.update(env)
    if args.rustflags:
        full["RUSTFLAGS"] = f"{env.get('RUSTFLAGS', '')} {args.rustflags}".strip()
    for kv in args.env:
        k, v = kv.split("=", 1)
        full[k] = v
    shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in full.items() if k not in os.environ or os.environ[k] != v)
    print(f"rerun: cd {crate_dir}\nrerun: {shown} {shlex.join(argv)}", flush=True)
    out = args.log or (target_dir.parent / "rerun.log")
    with open(out, "wb") as f:
        r = subprocess.run(["nice", "-n", "10", *argv], cwd=crate_dir, env=full, stdout=f, stderr=subprocess.STDOUT)
    text = out.read_text(errors="replace").splitlines()
    errors = [t for t in text if t.startswith("error") or "undefined symbol" in t or "cannot find -l" in t
              or "unable to find library" in t]
    print(f"rerun: exit {r.returncode}; log {out}")
    for t in errors[:12]:
        print("  " + t[:220])
    if r.returncode == 0:
        bindir = target_dir / argv[argv.index("--target") + 1] / "release"
        for p in sorted(bindir.iterdir()):
            if p.is_file() and os.access(p, os.X_OK) and not p.name.endswith((".so", ".d", ".rlib")):
                try:
                    info = buildenv.elf_info(p)
                except Exception:  # noqa: BLE001 - not an ELF file
                    continue
                kind = "static" if info["interp"] is None and not info["needed"] else f"dynamic {info['needed']}"
                print(f"  executable {p.name}: {kind}")
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
