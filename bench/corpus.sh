#!/usr/bin/env bash
# Benchmark (not a test): forge's yield on a corpus of 24 real crates (issue 10), the versions Debian 12 ships.
#
# 1. Installs Debian's librust-<crate>-dev packages of the corpus (their sources land in
#    /usr/share/cargo/registry, with every dependency Debian packages) and the system -dev packages listed in
#    SYSTEM_DEV below (apt-get; skipped with CORPUS_NO_APT=1, then missing packages are an error).
# 2. Builds a loopback crates.io mirror of the whole of /usr/share/cargo/registry (bench/corpus_mirror.py):
#    a sparse index computed from each crate's own Cargo.toml (deps, features, links, rust-version, the
#    .crate's SHA-256) and .crate files (gzip tar, top folder {name}-{version}/). The corpus crates' own
#    dev-dependencies are stripped (cargo resolves a root's dev-dependencies even to build, and Debian lacks
#    many). Cached under bench/.cache/corpus/mirror; only changed crates are repacked.
# 3. Serves it on 127.0.0.1 and writes queue.json (forge-queue/1, checksums of those .crate files) and a
#    CARGO_HOME whose crates-io is replaced by the mirror.
# 4. Runs `forge run` for the host target (static, forge's default flags; --timeout per job) and prints the
#    yield (crates with >= 1 static executable, checked here with an ELF reader / queued crates), each crate's
#    status and reason, the reasons histogram, wall time, mean job time and the CPU time of forge run and
#    all its descendants.
#
# Why the dependencies come from the sparse mirror and not from Debian's directory source: that is the path
# forge takes in production. Its host-side `cargo fetch` resolves against a sparse index and downloads
# .crate files (checking each against the index's cksum) into the cargo home, and the sandboxed build then
# runs offline from there. A directory source would make the fetch phase a no-op and hide its failures
# (resolution through an index, downloads, checksums). Both hold the same crates and manifests, so the
# resolution is the same; the mirror costs one packing of ~470 crates (cached) and loopback downloads.
# Each run gets a fresh cargo home (as a CI runner would), so the fetch cost is measured every time.
#
# Usage: bench/corpus.sh [--forge PATH] [--only a,b] [--jobs N] [--timeout 20m] [--keep-build-dir]
#                        [-- extra forge build arguments]
#   Without --forge (or FORGE_BIN): ./build/src/forge, configured and built first (-j2) if it is not there.
#   Results: bench/.cache/corpus/runs/<UTC time>/ (summary.json, out/, forge-run.log), runs/latest -> newest.
#   A full run takes a long time (rav1e, bat, bindgen, grcov and sequoia-sop are big): see
#   docs/corpus-findings.md for measured times. The builds run under `nice -n 10` (NICE=0 to change).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=$ROOT/bench/.cache/corpus

# crates.io name = the Debian package holding the version Debian 12 ships.
CRATES=(
  hexyl=librust-hexyl-dev bat=librust-bat-dev sniffglue=librust-sniffglue-dev rav1e=librust-rav1e-dev
  cbindgen=librust-cbindgen-dev grcov=librust-grcov-dev sequoia-sop=librust-sequoia-sop-dev
  pleaser=librust-pleaser-dev qrcode=librust-qrcode-dev lalrpop=librust-lalrpop-dev
  difference=librust-difference-dev wait-timeout=librust-wait-timeout-dev libslirp=librust-libslirp-dev
  phf_generator=librust-phf-generator-dev prettytable-rs=librust-prettytable-rs-dev
  pulldown-cmark=librust-pulldown-cmark-dev bindgen=librust-bindgen-dev dotenv=librust-dotenv-dev
  markdown=librust-markdown-dev duct=librust-duct-dev os_pipe=librust-os-pipe-dev
  subprocess=librust-subprocess-dev clap=librust-clap-dev cc=librust-cc-dev
)
# What a demanding maintainer has on the build machine besides the crates: pkg-config and the -dev packages
# whose static libraries (.a) the corpus's native dependencies link, with their static closures (most come
# with the librust-*-sys-dev packages anyway; listed so the closure is in one place). Debian 12 has no
# static libsystemd, libgssapi_krb5 (krb5), libslirp or libmount: those stay missing (docs/corpus-findings.md).
SYSTEM_DEV=(
  pkgconf
  libgit2-dev libssh2-1-dev libmbedtls-dev libhttp-parser-dev libpcre2-dev zlib1g-dev  # bat: git2
  libssl-dev libgpg-error-dev                                                          # libssh2's closure
  libpcap0.8-dev libdbus-1-dev libseccomp-dev                                          # sniffglue
  libpam0g-dev libaudit-dev libcap-ng-dev                                              # pleaser: pam
  nettle-dev libgmp-dev                                                                # sequoia-sop
  libslirp-dev libglib2.0-dev                                                          # libslirp
  libclang-dev                                                                         # bindgen
)

FORGE=${FORGE_BIN:-}
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --forge) FORGE=$2; shift 2 ;;
    --only|--jobs|--timeout) ARGS+=("$1" "$2"); shift 2 ;;
    --keep-build-dir) ARGS+=("$1"); shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "corpus: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

packages=()
for c in "${CRATES[@]}"; do packages+=("${c#*=}"); done
packages+=("${SYSTEM_DEV[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ -n "${CORPUS_NO_APT:-}" ]; then
    echo "corpus: missing packages (CORPUS_NO_APT is set): ${missing[*]}" >&2; exit 2
  fi
  echo "corpus: apt-get install ${missing[*]}"
  SUDO=(); [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

if [ -z "$FORGE" ]; then
  FORGE=$ROOT/build/src/forge
  if [ ! -x "$FORGE" ]; then
    echo "corpus: building forge in $ROOT/build (scripts/deps.sh installs its build dependencies)"
    nice -n "${NICE:-10}" cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
    nice -n "${NICE:-10}" cmake --build "$ROOT/build" -j2 --target forge
  fi
fi
[ -x "$FORGE" ] || { echo "corpus: forge not found at $FORGE" >&2; exit 2; }

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -n 9 || { echo "corpus: another corpus run holds $CACHE/.lock" >&2; exit 2; }
exec nice -n "${NICE:-10}" python3 "$ROOT/bench/corpus.py" --forge "$(realpath "$FORGE")" --cache "$CACHE" \
  "${ARGS[@]}" "${CRATES[@]}" -- "$@"
