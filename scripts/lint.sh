#!/usr/bin/env bash
# Style checked, not just configured: `format` checks every C++ file of include/ src/ tests/ bench/ against
# .clang-format (seconds); `tidy` runs clang-tidy (.clang-tidy) over src/ and include/ with every warning an
# error (about 12 CPU minutes; needs build/compile_commands.json, which the main build writes). With no
# argument, both. scripts/test.sh runs it after the main build; to fix formatting: clang-format-14 -i FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${FORGE_LINT_JOBS:-$(nproc)}

check_format() {
  local files
  mapfile -d '' files < <(find include src tests bench -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z)
  if ! clang-format-14 --dry-run -Werror "${files[@]}"; then
    echo "lint: the files above are not formatted as .clang-format says (fix: clang-format-14 -i FILE)" >&2
    return 1
  fi
  echo "lint: ${#files[@]} C++ files formatted as .clang-format says"
}

check_tidy() {
  if [[ ! -f build/compile_commands.json ]]; then
    echo "lint: build/compile_commands.json is missing: configure and build build/ first" >&2
    return 1
  fi
  # Files are picked by their absolute path in the compilation database: only this checkout's src/ (the
  # headers of include/forge/ are checked through them, .clang-tidy's HeaderFilterRegex).
  local escaped log status
  escaped=$(printf '%s' "$root" | sed 's/[][\.*^$+?(){}|]/\\&/g')
  log=build/clang-tidy.log
  set +e
  run-clang-tidy-14 -p build -j"$jobs" -quiet -warnings-as-errors='*' "^$escaped/src/" >"$log" 2>&1
  status=$?
  set -e
  # The log names each clang-tidy invocation; what matters are the diagnostics.
  grep -v -e '^/usr/bin/clang-tidy' -e '^clang-tidy' -e '^[0-9]* warnings\? generated' "$log" || true
  if [[ $status != 0 ]]; then
    echo "lint: clang-tidy found the problems above (full log: $log)" >&2
    return 1
  fi
  echo "lint: clang-tidy clean over src/ and include/"
}

case ${1:-all} in
  format) check_format ;;
  tidy) check_tidy ;;
  all) check_format && check_tidy ;;
  *) echo "usage: scripts/lint.sh [format|tidy]" >&2; exit 2 ;;
esac
