#!/usr/bin/env bash
# Why: the GitHub Action's toolchain step (action.yml). forge itself decides which triple each target is and
# which builder auto picks (forge doctor --json); this installs what that needs and is missing: the rustup
# toolchain, each target's standard library, and cross or cargo-zigbuild. Whatever is already installed
# is left alone, so a runner image that has it needs no network.
# Input (environment): FORGE_TARGETS, FORGE_TOOLCHAIN, FORGE_BUILDER, FORGE_CROSS_VERSION,
# FORGE_ZIGBUILD_VERSION; GITHUB_PATH, RUNNER_TEMP as the runner sets them; forge on PATH (install-forge.sh).
set -euo pipefail

fail() {
  echo "::error title=forge action::$*" >&2
  exit 1
}

forge_bin=$(command -v forge) || fail "forge is not on PATH (the action installs it first)"
toolchain=${FORGE_TOOLCHAIN:-nightly}
builder=${FORGE_BUILDER:-auto}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v rustup >/dev/null || fail "rustup is not installed on this runner (https://rustup.rs)"

target_args=()
for t in ${FORGE_TARGETS//,/ }; do
  target_args+=(--target "$t")
done

if ! rustup toolchain list | grep -q "^${toolchain}[- ]"; then
  echo "forge action: rustup toolchain install $toolchain"
  rustup toolchain install "$toolchain" --profile minimal
fi

# The triples forge resolves the targets to (exit 9 = nothing can build yet, the point of this script).
json=$("$forge_bin" doctor --json --toolchain "$toolchain" "${target_args[@]}" || true)
mapfile -t triples < <(python3 -c 'import json, sys; [print(t["triple"]) for t in json.loads(sys.stdin.read())["targets"]]' <<<"$json") ||
  fail "forge doctor --json did not answer: $json"
((${#triples[@]} > 0)) || fail "no targets in '$FORGE_TARGETS'"

installed=$(rustup "+$toolchain" target list --installed)
for triple in "${triples[@]}"; do
  if ! grep -qx "$triple" <<<"$installed"; then
    echo "forge action: rustup +$toolchain target add $triple"
    rustup "+$toolchain" target add "$triple"
  fi
done

host_arch=$(uname -m)
foreign=0
for triple in "${triples[@]}"; do
  [[ ${triple%%-*} == "$host_arch" ]] || foreign=1
done
if [[ $builder == auto ]]; then
  builder=cargo
  if ((foreign)) && docker info >/dev/null 2>&1; then
    builder=cross
  fi
fi

case $builder in
cross)
  if ! command -v cross >/dev/null; then
    echo "forge action: installing cross $FORGE_CROSS_VERSION"
    url="https://github.com/cross-rs/cross/releases/download/v$FORGE_CROSS_VERSION/cross-$host_arch-unknown-linux-musl.tar.gz"
    mkdir -p "$RUNNER_TEMP/cross/bin"
    if ! curl -fsSL --retry 5 "$url" | tar -xz -C "$RUNNER_TEMP/cross/bin"; then
      cargo "+$toolchain" install cross --locked --version "$FORGE_CROSS_VERSION" --root "$RUNNER_TEMP/cross"
    fi
    echo "$RUNNER_TEMP/cross/bin" >> "$GITHUB_PATH"
  fi
  ;;
zigbuild)
  if ! command -v cargo-zigbuild >/dev/null; then
    echo "forge action: installing cargo-zigbuild $FORGE_ZIGBUILD_VERSION with zig (PyPI)"
    python3 -m venv "$RUNNER_TEMP/zigbuild"
    "$RUNNER_TEMP/zigbuild/bin/pip" install --quiet "cargo-zigbuild==$FORGE_ZIGBUILD_VERSION" # its wheel depends on ziglang (zig)
    echo "$RUNNER_TEMP/zigbuild/bin" >> "$GITHUB_PATH"
  fi
  ;;
cargo) ;;
*) fail "builder must be auto, cross, zigbuild or cargo, not '$builder'" ;;
esac

# What forge will do with it; exit 9 when no target can build here.
PATH="$RUNNER_TEMP/cross/bin:$RUNNER_TEMP/zigbuild/bin:$PATH" "$forge_bin" doctor --toolchain "$toolchain" "${target_args[@]}"
