#!/usr/bin/env bash
# Installs what is missing, builds forge, and runs `forge ingest` on the bundled sample dump.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFORGE_TESTS=OFF >/dev/null
cmake --build build --target forge -j"$(nproc)" >/dev/null
./build/src/forge ingest --dump tests/fixtures/sample/db-dump.tar.gz --since 2025-01-01 --out forge-out
