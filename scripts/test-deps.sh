#!/usr/bin/env bash
# Why: the `forge build` end-to-end tests build real crates offline: hexyl's sources and the pkg-config crate
# (for the missing-library fixture) from Debian's cargo directory source, b3sum as an independent BLAKE3,
# and toolchains.md's Recipe A for a genuine aarch64 cross build run under qemu (Debian's rustc/cargo with
# the arm64 std, the cross gcc and libc). The `forge run` tests add chromium (the HTML report is rendered
# headless) and git (the merged index branch is checked). The `forge publish` tests push to a real OCI
# registry: Debian's docker-registry (started by each test on 127.0.0.1), htpasswd (apache2-utils) for its
# Basic auth, and openssl to sign the tokens of a local token endpoint. The install tests load the generated
# completions in bash, zsh and fish and render the man page with groff (man-db's man -l). This installs what is missing on
# Debian 12 (as root, or through sudo), non-interactively; when everything is present it only asks dpkg and
# exits. rustup's stable toolchain (~/.cargo/bin) is not an apt package: the tests that need it skip when it
# is absent.
set -euo pipefail

native=(librust-hexyl-dev librust-pkg-config-dev b3sum qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  rustc-web cargo-web pkg-config zlib1g-dev python3 chromium git
  docker-registry apache2-utils openssl
  zsh fish groff-base man-db)
foreign=(libstd-rust-web-dev:arm64)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

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
