#!/usr/bin/env bash
# Builds the relocatable bundle forge-<version>-<arch>-linux.tar.gz (docs/bundle.md) in its own build dir,
# so the development build is left as it is. Installs what is missing first (scripts/deps.sh bundle).
# Usage: scripts/bundle.sh [BUILD_DIR]      (default build-bundle; prints the tarball's path last)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-bundle}
bash scripts/deps.sh bundle
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGE_TESTS=OFF >/dev/null
cmake --build "$dir" --target bundle -j"$(nproc)"
version=$(sed -n 's/^project(forge VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
ls "$PWD/$dir/forge-$version-$(uname -m)-linux.tar.gz"
