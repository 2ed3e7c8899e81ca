#!/usr/bin/env bash
# Installs the Debian 12 packages forge needs that are not there yet (as root, or through sudo).
# Usage: scripts/deps.sh [build|test]   (test adds what the test suite needs)
set -euo pipefail
mode=${1:-build}

packages=(g++ cmake ninja-build ccache pkg-config python3 ca-certificates
  libcurl4-openssl-dev libarchive-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libtomlplusplus-dev
  libgit2-dev libssl-dev libisal-dev zlib1g-dev)
if [[ $mode == test ]]; then
  # bubblewrap: the build sandbox (forge build falls back to none without it; the sandbox tests need it)
  packages+=(libgtest-dev b3sum isal clang-14 libclang-rt-14-dev bubblewrap)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "forge: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) != 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
