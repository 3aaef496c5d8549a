#!/usr/bin/env bash
# `make check-valgrind`: builds with the debug pool (every arena allocation its own malloc, so memcheck sees each
# object) and runs the unit tests and the script tests (every test/<dir>/*.sh except deploy/ and fuzz/) under
# valgrind memcheck. Scripts get SG_BIN = a wrapper that execs the server/CLI under valgrind, so every storygate
# process they start is checked, including ones started directly rather than through test/integration/lib.sh.
# Errors and definite leaks are collected as XML per process and fail the run, also for processes that a test
# killed (complete error records are kept even when the file is cut short). h2o's process-lifetime state is
# suppressed (scripts/valgrind.supp).
#
#   scripts/check-valgrind.sh [BUILD_DIR]        # default build/valgrind
#   SG_VALGRIND_ONLY="json integration/server_tls"   run only these
set -uo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(mkdir -p "${1:-$src/build/valgrind}" && cd "${1:-$src/build/valgrind}" && pwd)"
only="${SG_VALGRIND_ONLY:-}"
passed=0
failed=0
if ! command -v valgrind >/dev/null; then
  echo "valgrind not installed (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSG_DEBUG_POOL=ON \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; echo "0 passed, 1 failed"; exit 1; }
fi
if cmake --build "$build" -j"${JOBS:-$(nproc)}" -- -k >"$build/build.log" 2>&1; then build_ok=1; else build_ok=0; fi

logs="$build/valgrind-logs"
reports="$build/valgrind-reports"
rm -rf "$logs" "$reports"
mkdir -p "$logs" "$reports"
vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
  --suppressions="$src/scripts/valgrind.supp" --num-callers=30 --xml=yes)
wrapper="$build/storygate-vg"
{
  echo '#!/bin/sh'
  echo "# storygate under valgrind memcheck (written by scripts/check-valgrind.sh)"
  printf 'exec'
  printf ' %q' "${vg[@]}" --trace-children=no "--xml-file=$logs/storygate.%p.xml" "$build/storygate"
  echo ' "$@"'
} >"$wrapper"
chmod +x "$wrapper"
# Servers under memcheck start several times slower (test/integration/lib.sh waits this long for readiness).
export SG_SOURCE_DIR="$src" SG_BINARY_DIR="$build" SG_BIN="$wrapper" SG_START_TIMEOUT="${SG_START_TIMEOUT:-60}"

# shellcheck source=lib-checked.sh
. "$src/scripts/lib-checked.sh"

# valgrind_errors NAME: fails NAME when any process checked since the last call reported an error.
valgrind_errors() {
  local rc=0
  if ls "$logs"/*.xml >/dev/null 2>&1; then
    python3 "$src/scripts/vg-report.py" "$logs/*.xml" | head -80 | sed 's/^/    /'
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
    mkdir -p "$reports/$1"
    mv "$logs"/*.xml "$reports/$1/"
  fi
  return $rc
}

# Unit tests: Criterion's workers are traced (fork and its re-exec); curl, promtool and the like are not.
for exe in "$build"/test/test_*; do
  [ -x "$exe" ] || continue
  mod="${exe##*/test_}"
  selected "$mod" || continue
  out="$reports/$mod.out"
  tap="$reports/$mod.tap"
  (cd "$src/test/$mod" && timeout 3600 "${vg[@]}" --trace-children=yes \
    --trace-children-skip='/usr/*,/bin/*,/sbin/*,*/storygate-vg' "--xml-file=$logs/$mod.%p.xml" \
    "$exe" --jobs 2 --tap="$tap") >"$out" 2>&1
  rc=$?
  tap_counts "$tap"
  why=""
  [ "$rc" -eq 0 ] || why="exit status $rc"
  [ "${f:-0}" -eq 0 ] || why="${why:+$why, }$f failed or crashed"
  [ "$p" -gt 0 ] || why="${why:+$why, }no test passed"
  if valgrind_errors "unit-$mod" && [ -z "$why" ]; then
    echo "ok   - unit/$mod: $p passed, $s skipped"
    passed=$((passed + 1))
  else
    echo "FAIL - unit/$mod: ${why:-valgrind errors}"
    grep -E "^not ok" "$tap" 2>/dev/null | head -10 | sed 's/^/    /'
    echo "    output: $out"
    failed=$((failed + 1))
  fi
done

run_script_tests valgrind_errors 1800 '^FAIL'

finish "$build_ok" "valgrind memcheck, debug pool; per-process XML in $reports"
