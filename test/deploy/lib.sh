# Helpers for the deploy tests: counters, checks, the summary line. Sourced, never run as a test itself.
# shellcheck shell=bash
set -uo pipefail

export PYTHONDONTWRITEBYTECODE=1
SG_SOURCE_DIR="${SG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export SG_SOURCE_DIR
cd "$SG_SOURCE_DIR" || exit 1
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# check DESC CMD...: passes when CMD exits 0; shows its output otherwise.
check() {
  local desc="$1" out
  shift
  if out="$("$@" 2>&1)"; then pass "$desc"; else fail "$desc"; printf '%s\n' "$out" | sed 's/^/     /' | head -40; fi
}

# py_checks SCRIPT [ARGS...]: runs python3 code that prints "PASS desc" / "FAIL desc" lines; counts them.
py_checks() {
  local code="$1" line any=0
  shift
  while IFS= read -r line; do
    case "$line" in
      PASS\ *) pass "${line#PASS }"; any=1 ;;
      FAIL\ *) fail "${line#FAIL }"; any=1 ;;
      EXIT\ 0) ;;
      EXIT\ *) fail "python checks stopped early (${line})" ;;
      *) echo "     $line" ;;
    esac
  done < <(PYTHONPATH="$SG_SOURCE_DIR/test/deploy" python3 -c "$code" "$@" 2>&1; echo "EXIT $?")
  [ $any -eq 1 ] || fail "python checks produced no results"
}

need() {
  command -v "$1" >/dev/null 2>&1 || { fail "$1 is not installed (scripts/install-deps.sh)"; summary; }
}

summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}
