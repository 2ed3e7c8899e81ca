#!/bin/sh
# A stand-in for `forge build` in bench/run.sh: takes the same arguments forge run passes, sleeps $BENCH_SLEEP
# seconds, writes the result.json a built job would, and exits 0.
spec= target= out=
while [ $# -gt 0 ]; do
  case "$1" in
    build) spec=$2; shift ;;
    --target) target=$2; shift ;;
    --out) out=$2; shift ;;
  esac
  shift
done
crate=${spec%@*}
version=${spec#*@}
[ "${BENCH_SLEEP:-0}" = 0 ] || sleep "$BENCH_SLEEP"
dir="$out/x86_64-Linux/$crate/$version"
mkdir -p "$dir"
printf '{"format":"forge-result/1","crate":"%s","version":"%s","target":"%s","host":"x86_64-Linux","status":"built","reason":null,"details":null,"spurious":false,"executables":[]}\n' \
  "$crate" "$version" "$target" > "$dir/result.json"
