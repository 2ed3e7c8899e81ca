#!/usr/bin/env bash
# Installs what is missing, builds forge, and runs `forge ingest` on the bundled sample dump.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
source scripts/ccache-env.sh
# The compiler flags of scripts/test.sh, so that it reuses these objects; the tests are not built here.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFORGE_WERROR=ON -DFORGE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null # forge, its man page and completions
./build/src/forge ingest --dump tests/fixtures/sample/db-dump.tar.gz --since 2025-01-01 --out forge-out
echo
echo "forge is ./build/src/forge; 'cmake --install build' installs it with its man page and shell completions."
