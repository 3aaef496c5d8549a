# Shared by scripts/test-sanitize.sh and scripts/check-valgrind.sh (sourced): selecting tests, reading Criterion's TAP,
# running the script tests under a checker, and the closing summary. The caller sets src, build, only, reports,
# passed and failed, and defines the checker function it passes in.

selected() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }

# tap_counts TAP: sets p (passed, skips excluded), f (failed or crashed) and s (skipped) from a Criterion TAP file.
tap_counts() {
  p="$(grep -c '^ok - ' "$1" 2>/dev/null)"
  f="$(grep -c '^not ok' "$1" 2>/dev/null)"
  s="$(grep -c '^ok - .* # SKIP' "$1" 2>/dev/null)"
  p=$((${p:-0} - ${s:-0}))
}

# run_script_tests CHECKER TIMEOUT FAIL_PATTERN: every test/<dir>/*.sh except deploy/, fuzz/ and lib*; a script passes
# when it exits 0, its last line is "N passed, 0 failed" with N > 0, and `CHECKER <dir>.<name>` finds no report.
run_script_tests() {
  local checker="$1" limit="$2" pattern="$3" script dir name out rc last why start
  for script in "$src"/test/*/*.sh; do
    dir="$(basename "$(dirname "$script")")"
    name="$(basename "$script" .sh)"
    case "$dir" in deploy | fuzz) continue ;; esac
    case "$name" in lib*) continue ;; esac
    selected "$dir/$name" || selected "$dir" || continue
    out="$reports/$dir.$name.out"
    start=$SECONDS
    # a scratch working directory, as ctest gives: a server started without --data-dir must not write var/ into
    # the source tree
    mkdir -p "$build/cwd/$dir"
    (cd "$build/cwd/$dir" && timeout "$limit" bash "$script") >"$out" 2>&1
    rc=$?
    last="$(tail -1 "$out")"
    why=""
    [ "$rc" -eq 0 ] || why="exit status $rc"
    [[ "$last" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] ||
      why="${why:+$why, }last line '$last'"
    if "$checker" "$dir.$name" && [ -z "$why" ]; then
      echo "ok   - $dir/$name: $last ($((SECONDS - start)) s)"
      passed=$((passed + 1))
    else
      echo "FAIL - $dir/$name: ${why:-$checker found errors}"
      grep -E "$pattern" "$out" | head -20 | sed 's/^/    /'
      echo "    output: $out"
      failed=$((failed + 1))
    fi
  done
}

# finish BUILD_OK DESCRIPTION: counts a failed build, prints the closing "N passed, M failed" and sets the status.
finish() {
  if [ "$1" -eq 0 ]; then
    echo "FAIL - build: see $build/build.log"
    grep -E "error:|undefined reference" "$build/build.log" | head -20 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
  echo "$2"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
