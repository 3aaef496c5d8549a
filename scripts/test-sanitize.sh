#!/usr/bin/env bash
# The sanitizer pass of `make test`: builds everything with ASan + UBSan + LSan and the debug pool (each arena
# allocation its own malloc, so overflows inside an arena are caught) and runs
#   - every Criterion executable (unit tests), and
#   - the script tests of every test/<dir>/ except deploy/ and fuzz/, with SG_BIN pointing at the sanitized binary.
# Any sanitizer report from any sanitized process (tests, servers they start, CLI runs) fails the pass: reports go to
# per-process files (log_path) that are checked after every test, so a report from a server whose output a script
# discards still counts. Skipped Criterion tests fail the pass too (they would otherwise look like passes), unless
# SG_ALLOW_SKIPS=1.
#
#   scripts/test-sanitize.sh [BUILD_DIR]     # default build/asan
#   SG_SANITIZE_ONLY="json admission integration/server_tls"   run only these (unit dirs or script tests)
set -uo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(mkdir -p "${1:-$src/build/asan}" && cd "${1:-$src/build/asan}" && pwd)"
only="${SG_SANITIZE_ONLY:-}"
passed=0
failed=0
skipped_total=0

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSG_SANITIZE=ON -DSG_DEBUG_POOL=ON -DSG_WERROR=ON \
    >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; echo "0 passed, 1 failed"; exit 1; }
fi
# Keep going past a target that fails to build, so the rest still runs; the build failure itself fails the pass.
if cmake --build "$build" -j"${JOBS:-$(nproc)}" -- -k >"$build/build.log" 2>&1; then
  build_ok=1
else
  build_ok=0
  [ -x "$build/storygate" ] || { grep -E "error:|undefined reference" "$build/build.log" | head -20; }
fi

logs="$build/sanitizer-logs"
reports="$build/reports"
rm -rf "$logs" "$reports"
mkdir -p "$logs" "$reports"
# abort_on_error: Criterion ignores a worker's exit code once the test body returned, so a leak found at the worker's
# exit only fails the run when LSan aborts (the worker then "crashes during teardown").
asan="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export ASAN_OPTIONS="$asan:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export SG_SOURCE_DIR="$src" SG_BINARY_DIR="$build" SG_BIN="$build/storygate"

# shellcheck source=lib-checked.sh
. "$src/scripts/lib-checked.sh"

# sanitizer_reports NAME: fails NAME when any sanitized process wrote a report since the last call.
sanitizer_reports() {
  local f found=0
  for f in "$logs"/*; do
    [ -e "$f" ] || continue
    # LSan also writes the "Suppressions used" table of a clean run here; only real reports count.
    if ! grep -Eq "ERROR: |runtime error" "$f"; then
      rm -f "$f"
      continue
    fi
    found=1
    echo "    sanitizer report ($(basename "$f")):"
    grep -v '^ *$' "$f" | head -40 | sed 's/^/      /'
    mv "$f" "$reports/$1.$(basename "$f")" 2>/dev/null || mv "$f" "$reports/"
  done
  return $found
}

# Unit tests: one Criterion executable per test/<dir>/.
for exe in "$build"/test/test_*; do
  [ -x "$exe" ] || continue
  mod="${exe##*/test_}"
  selected "$mod" || continue
  out="$reports/$mod.out"
  tap="$reports/$mod.tap"
  # One job: Criterion 2.4's runner itself leaks a block when suites with a timeout run in parallel, and LSan cannot
  # tell that runner-only leak from a test's without slow unwinding everywhere.
  start=$SECONDS
  (cd "$src/test/$mod" && timeout 900 "$exe" --jobs 1 --tap="$tap") >"$out" 2>&1
  rc=$?
  # TAP rather than --json: Criterion 2.4 does not escape messages in its JSON report.
  tap_counts "$tap"
  why=""
  [ "$rc" -eq 0 ] || why="exit status $rc"
  [ "${f:-0}" -eq 0 ] || why="${why:+$why, }$f failed or crashed"
  [ "${p:-0}" -gt 0 ] || why="${why:+$why, }no test passed"
  if [ "${s:-0}" -gt 0 ]; then
    skipped_total=$((skipped_total + s))
    names="$(grep '^ok - .* # SKIP' "$tap" | sed -E 's/^ok - ([^ ]+) .*/\1/' | tr '\n' ' ')"
    [ "${SG_ALLOW_SKIPS:-0}" = 1 ] || why="${why:+$why, }$s skipped: $names"
  fi
  if sanitizer_reports "$mod" && [ -z "$why" ]; then
    echo "ok   - unit/$mod: $p passed, $s skipped ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "FAIL - unit/$mod: ${why:-sanitizer report}"
    grep -E "\[FAIL\]|Warning!|crash|runtime error|ERROR: " "$out" | head -20 | sed 's/^/    /'
    echo "    output: $out"
    failed=$((failed + 1))
  fi
done

# Script tests against the sanitized binary (deploy/ checks manifests, fuzz/ has its own sanitizer build).
run_script_tests sanitizer_reports 900 '^FAIL|runtime error|ERROR: '

finish "$build_ok" "sanitizers: ASan+UBSan+LSan, debug pool; $skipped_total skipped unit tests; reports in $reports"
