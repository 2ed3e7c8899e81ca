#!/usr/bin/env bash
# Why: the GitHub Action's first step (action.yml). Installs forge's relocatable bundle (docs/bundle.md) into
# $RUNNER_TEMP and puts its bin/ on $GITHUB_PATH, so every job gets the same forge whatever its image.
# Input (environment): FORGE_VERSION, FORGE_BUNDLE, FORGE_BUNDLE_SHA256, FORGE_ACTION_REF,
# FORGE_ACTION_REPOSITORY; GITHUB_PATH, GITHUB_OUTPUT, RUNNER_TEMP as the runner sets them.
set -euo pipefail

fail() {
  echo "::error title=forge action::$*" >&2
  exit 1
}

arch=$(uname -m)
case $arch in
x86_64 | aarch64) ;;
arm64) arch=aarch64 ;;
*) fail "no forge bundle for the runner's architecture $arch (x86_64 and aarch64 have one)" ;;
esac

url=${FORGE_BUNDLE:-}
want=${FORGE_BUNDLE_SHA256:-}
checksum_url=""
if [[ -z $url ]]; then
  version=${FORGE_VERSION:-}
  if [[ -z $version ]]; then
    ref=${FORGE_ACTION_REF:-}
    [[ $ref =~ ^v([0-9]+\.[0-9]+\.[0-9]+.*)$ ]] ||
      fail "give the action 'version' or 'bundle': its ref '$ref' is not a release tag like v0.1.0"
    version=${BASH_REMATCH[1]}
  fi
  [[ -n ${FORGE_ACTION_REPOSITORY:-} ]] || fail "give the action 'bundle': the action's repository is unknown"
  url="${GITHUB_SERVER_URL:-https://github.com}/$FORGE_ACTION_REPOSITORY/releases/download/v$version/forge-$version-$arch-linux.tar.gz"
  checksum_url="$url.sha256"
fi

dest="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/forge-action"
rm -rf "$dest"
mkdir -p "$dest"
tarball="$dest/bundle.tar.gz"
fetch() { # URL-or-path destination
  case $1 in
  http://* | https://*) curl -fsSL --retry 5 --retry-delay 2 --connect-timeout 30 -o "$2" "$1" ;;
  file://*) cp -- "${1#file://}" "$2" ;;
  *) cp -- "$1" "$2" ;;
  esac
}
fetch "$url" "$tarball" || fail "cannot download the forge bundle $url"
if [[ -n $checksum_url ]]; then
  fetch "$checksum_url" "$dest/bundle.sha256" || fail "cannot download $checksum_url"
  want=$(cut -d' ' -f1 "$dest/bundle.sha256")
fi
if [[ -n $want ]]; then
  got=$(sha256sum "$tarball" | cut -d' ' -f1)
  [[ $got == "$want" ]] || fail "the forge bundle $url has SHA-256 $got, expected $want"
fi

tar -xzf "$tarball" -C "$dest"
rm -f "$tarball" "$dest/bundle.sha256"
shopt -s nullglob
tops=("$dest"/forge-*-linux)
((${#tops[@]} == 1)) || fail "$url is not a forge bundle (no single forge-<version>-<arch>-linux/ inside)"
bin="${tops[0]}/bin"
version_line=$("$bin/forge" --version | head -n1) || fail "the bundle's forge does not start on this runner"
echo "$version_line (${tops[0]})"
echo "$bin" >> "$GITHUB_PATH"
{
  echo "forge=$bin/forge"
  echo "version=${version_line#forge }"
} >> "$GITHUB_OUTPUT"
