#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (-fsanitize=fuzzer,address,undefined,
# the core compiled with them) and runs each for SECONDS (default 10) on a copy of its seed
# corpus (tests/fuzz/corpus/TARGET; what a run finds is not written back). Prints, per
# target, the executions and whether it crashed (or took over 10 s on one input); a crash
# saves the input as
# tests/fuzz/crash-TARGET-* (commit it under corpus/ as a regression case once fixed) and
# fails the script. Run from the build tree after ./configure (config.h).
#   tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(lexer names url config json)
command -v clang >/dev/null || { echo "run-fuzz: clang is needed (apt install clang libclang-rt-14-dev)" >&2; exit 1; }
[ -f config.h ] || { echo "run-fuzz: run ./configure first (config.h)" >&2; exit 1; }

out=tests/fuzz/build
mkdir -p "$out/obj"
flags=(-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -DHAVE_CONFIG_H -I. -Iinclude)
for d in core/common core/config core/files core/loader core/engine core/lint core/schema core/fleet; do
    flags+=(-I"$d")
done
# The core, compiled once with the fuzzer's instrumentation (newer sources rebuild).
objs=()
for src in core/common/*.c core/config/*.c core/files/*.c core/loader/*.c core/engine/*.c \
    core/lint/*.c core/schema/*.c core/fleet/*.c; do
    obj="$out/obj/$(echo "$src" | tr / _).o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
        clang "${flags[@]}" -DSTRATA_DRIVER_DIR='"/nonexistent"' -c "$src" -o "$obj"
    fi
    objs+=("$obj")
done
libs=(-lnettle -linih -ldl -lpthread)

status=0
printf '%-8s %12s  %s\n' target executions result
for t in "${targets[@]}"; do
    bin="$out/fuzz_$t"
    clang "${flags[@]}" -fsanitize=fuzzer "tests/fuzz/fuzz_$t.c" "${objs[@]}" "${libs[@]}" -o "$bin"
    corpus=$(mktemp -d "${TMPDIR:-/tmp}/strata-fuzz-$t-XXXXXX")
    [ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    log="$out/fuzz_$t.log"
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="tests/fuzz/crash-$t-" "$corpus" >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (see $log and tests/fuzz/crash-$t-*)"
        status=1
    fi
    runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
    printf '%-8s %12s  %s\n' "$t" "${runs:-?}" "$result"
    rm -rf "$corpus"
done
exit $status
