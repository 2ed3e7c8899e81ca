"""Why: publishing 20,000 executables must be bound by the network, not by forge. This benchmark (not a
test) crafts an out dir of N executables, publishes it to Debian's docker-registry on loopback, then
publishes it again (every blob found by HEAD), and prints wall times and throughput; optionally one large
blob monolithic vs chunked.

    python3 bench/publish.py [--forge build/src/forge] [--count 40] [--size 2000000] [--large 67108864] [--jobs 4]
        [--latency 0.05]
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from publishenv import blob_bytes, craft_build, publish  # noqa: E402
from registry import FaultProxy, RegistryServer  # noqa: E402


def timed(label, tmp, out, host, *args):
    t0 = time.monotonic()
    r = publish(tmp, out, host, *args)
    dt = time.monotonic() - t0
    if r.code != 0:
        sys.exit(f"{label}: forge publish failed\n{r!r}")
    return dt, r.out.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forge", default=str(HERE.parent / "build" / "src" / "forge"))
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--size", type=int, default=2_000_000)
    ap.add_argument("--large", type=int, default=64 << 20)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added per request by a proxy")
    a = ap.parse_args()
    os.environ["FORGE_BIN"] = str(Path(a.forge).resolve())
    tmp = Path(tempfile.mkdtemp(prefix="forge-bench-publish-"))
    reg = RegistryServer(tmp).start()
    proxy = FaultProxy(reg.port, latency=a.latency).start() if a.latency else None
    host = proxy.host if proxy else reg.host
    try:
        out = tmp / "out"
        for i in range(a.count):
            craft_build(out, f"bench-{i:04d}", "1.0.0", {f"bench{i}": blob_bytes(a.size, i)})
        total = a.count * a.size
        jobs = ["--jobs", str(a.jobs)]
        dt, summary = timed("first", tmp, out, host, *jobs)
        print(f"first publish (--jobs {a.jobs}): {a.count} executables, {total / 1e6:.1f} MB: {dt:.2f} s "
              f"({total / dt / 1e6:.1f} MB/s, {a.count / dt:.1f} executables/s)\n  {summary}")
        dt, summary = timed("again", tmp, out, host, *jobs)
        print(f"re-publish (all blobs present): {dt:.2f} s ({a.count / dt:.1f} executables/s)\n  {summary}")
        if a.large:
            for mode, args in (("monolithic", ["--chunk-threshold", str(a.large * 2)]),
                               ("chunked 16 MiB", ["--chunk-threshold", "1", "--chunk-size", str(16 << 20)])):
                big = tmp / f"big-{mode.split()[0]}"
                craft_build(big, f"large-{mode.split()[0]}", "1.0.0", {"large": blob_bytes(a.large, 7 if mode == "monolithic" else 8)})
                dt, _ = timed(mode, tmp, big, host, *args)
                print(f"one {a.large / 1e6:.0f} MB executable, {mode}: {dt:.2f} s ({a.large / dt / 1e6:.1f} MB/s)")
    finally:
        if proxy:
            proxy.stop()
        reg.stop()


if __name__ == "__main__":
    main()
