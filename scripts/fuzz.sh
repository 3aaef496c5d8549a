#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, debug pool) and, for each target: replays every saved regression
# input (test/fuzz/regress/<target>/), then fuzzes for FUZZ_SECONDS starting from the seed corpus
# (test/fuzz/corpus/<target>/). Any crash, leak, timeout or violated property fails the run; the input is kept under
# <build>/fuzz/artifacts/<target>/ and should be copied into test/fuzz/regress/<target>/ once understood.
#
#   scripts/fuzz.sh [BUILD_DIR]          # default build/fuzz
#   FUZZ_SECONDS=300   seconds per target (0 = only replay regressions and seeds)
#   FUZZ_TARGETS="json_go admission"     subset (default: every target that builds)
#   FUZZ_WORK=DIR      corpus directory root (default BUILD_DIR/work; grows between runs)
#   FUZZ_CC=clang      compiler
set -uo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$src/build/fuzz}"
seconds="${FUZZ_SECONDS:-300}"
work="${FUZZ_WORK:-$build/work}"
cc="${FUZZ_CC:-clang}"
passed=0
failed=0

if ! command -v "$cc" >/dev/null; then
  echo "fuzz: $cc not found (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1
fi
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  # Warnings are the normal build's business (SG_WERROR there); a clang-only warning must not stop fuzzing.
  cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSG_FUZZ=ON -DSG_TESTS=OFF \
    -DSG_WERROR=OFF -DSG_DEBUG_POOL=ON >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log"; echo "0 passed, 1 failed"; exit 1; }
fi
# Keep going: a target that does not compile fails below as "not built" while the others still run.
if ! cmake --build "$build" --target fuzz_all -j"${JOBS:-$(nproc)}" -- -k >"$build/build.log" 2>&1; then
  grep -E "error:|undefined reference" "$build/build.log" | head -20
fi

targets="${FUZZ_TARGETS:-$(sed 's/_fuzz$//' "$build/fuzz/targets.txt")}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

report() { # report NAME LOG: the sanitizer or property message and the saved input
  echo "FAIL - $1"
  grep -E -m3 "ERROR: |property violated|runtime error|SUMMARY|Test unit written|ALARM" "$2" | sed 's/^/    /'
  echo "    full log: $2"
  failed=$((failed + 1))
}

for t in $targets; do
  bin="$build/fuzz/${t}_fuzz"
  if [ ! -x "$bin" ]; then
    echo "FAIL - $t: $bin was not built"; failed=$((failed + 1)); continue
  fi
  art="$build/artifacts/$t"
  mkdir -p "$art" "$work/$t"
  common=(-timeout=10 -rss_limit_mb=2560 -max_len=16384 -artifact_prefix="$art/" -print_final_stats=0)
  # Token dictionaries (test/fuzz/dict/): libFuzzer takes one file, so a target's list is concatenated.
  case "$t" in
    json_strict | json_go | identity) dicts="json" ;;
    admission | admission_object) dicts="json admission" ;;
    yaml) dicts="yaml" ;;
    config) dicts="yaml config" ;;
    policy) dicts="yaml policy" ;;
    *) dicts="$t" ;;
  esac
  dict="$build/dict/$t.dict"
  mkdir -p "$build/dict"
  : >"$dict"
  for d in $dicts; do [ -f "$src/test/fuzz/dict/$d.dict" ] && cat "$src/test/fuzz/dict/$d.dict" >>"$dict"; done
  [ -s "$dict" ] && common+=(-dict="$dict")
  # 1. Saved regressions: each file once.
  reg="$src/test/fuzz/regress/$t"
  if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
    log="$build/$t.regress.log"
    if "$bin" "${common[@]}" -runs=1 "$reg"/* >"$log" 2>&1; then
      echo "ok   - $t: $(ls "$reg" | wc -l) regression inputs"; passed=$((passed + 1))
    else
      report "$t: regression input" "$log"
    fi
  fi
  # 2. Seeds and the accumulated corpus, then new inputs for the time budget.
  log="$build/$t.fuzz.log"
  if [ "$seconds" -gt 0 ]; then
    run=(-max_total_time="$seconds")
  else
    run=(-runs=0)
  fi
  if "$bin" "${common[@]}" "${run[@]}" "$work/$t" "$src/test/fuzz/corpus/$t" >"$log" 2>&1; then
    execs="$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+')"
    echo "ok   - $t: ${execs:-?} runs in ${seconds}s, corpus $(ls "$work/$t" | wc -l) files"
    passed=$((passed + 1))
  else
    report "$t: fuzzing" "$log"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
