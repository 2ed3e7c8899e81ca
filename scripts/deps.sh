#!/usr/bin/env bash
# Installs the Debian 12 packages forge needs that are not there yet (as root, or through sudo).
# Usage: scripts/deps.sh [build|bundle|test]   (bundle adds the static archives of the relocatable bundle,
# docs/bundle.md; test adds what the test suite needs, the bundle's included: the suite builds one)
set -euo pipefail
mode=${1:-build}

packages=(g++ cmake ninja-build ccache pkg-config python3 ca-certificates
  libcurl4-openssl-dev libarchive-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libtomlplusplus-dev
  libgit2-dev libssl-dev libisal-dev zlib1g-dev)
if [[ $mode == bundle || $mode == test ]]; then
  # The static archives of libcurl's, libarchive's and libgit2's dependencies (cmake/ForgeBundle.cmake
  # walks the shared objects' DT_NEEDED and links each library's .a where one of these packages ships it).
  packages+=(libnghttp2-dev libidn2-dev libunistring-dev librtmp-dev libgnutls28-dev nettle-dev libgmp-dev
    libtasn1-6-dev libp11-kit-dev libssh2-1-dev libpsl-dev libldap-dev libsasl2-dev libkrb5-dev libzstd-dev
    libbrotli-dev liblzma-dev liblz4-dev libbz2-dev libacl1-dev libxml2-dev libicu-dev libmbedtls-dev
    libhttp-parser-dev libpcre2-dev)
fi
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
