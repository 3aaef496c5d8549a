#!/usr/bin/env bash
# Shared helpers for integration tests: start the real storygate binary on a free loopback port with freshly made
# certificates, send requests with curl, count results, and always stop what was started.
#
#   source "$(dirname "$0")/lib.sh"
#   sg_start_server [extra serve flags...]   # sets SG_PORT, SG_URL, SG_PID, SG_CA, SG_LOG; waits for /readyz
#   sg_post FILE PATH [CONTENT_TYPE]         # sets SG_STATUS and SG_BODY
#   expect_status NAME CODE PATH [curl args...]
#   expect_json_field NAME FIELD EXPECTED    # jq FIELD of SG_BODY (e.g. .response.allowed) equals EXPECTED
#   sg_pass NAME; sg_fail NAME WHY; sg_summary   # sg_summary prints "N passed, M failed" and sets the exit status
#
# Environment: SG_BIN (the storygate binary; default $SG_BINARY_DIR/storygate), SG_SOURCE_DIR, SG_START_TIMEOUT
# (seconds to wait for listening and for /readyz; default 10, raised by scripts/check-valgrind.sh).
set -uo pipefail

SG_SOURCE_DIR="${SG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SG_BINARY_DIR="${SG_BINARY_DIR:-$SG_SOURCE_DIR/build}"
SG_BIN="${SG_BIN:-$SG_BINARY_DIR/storygate}"
SG_START_TIMEOUT="${SG_START_TIMEOUT:-10}"
# Sanitizer builds: h2o's loops live until exit by design (see lsan-h2o.supp).
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$SG_SOURCE_DIR/test/integration/lsan-h2o.supp:print_suppressions=0}"
SG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/storygate-it.XXXXXX")"
SG_CERTS="$SG_TMP/certs"
SG_CA="$SG_CERTS/ca.crt"
SG_LOG="$SG_TMP/server.log"
SG_PID=""
SG_PORT=""
SG_URL=""
SG_METRICS_PORT=""
SG_STATUS=""
SG_BODY=""
SG_EXIT=""
SG_PASSED=0
SG_FAILED=0
SG_BG_PIDS=()

sg__cleanup() {
  local p
  for p in "${SG_BG_PIDS[@]+"${SG_BG_PIDS[@]}"}"; do kill "$p" 2>/dev/null; done
  if [ -n "$SG_PID" ] && kill -0 "$SG_PID" 2>/dev/null; then
    kill -KILL "$SG_PID" 2>/dev/null
    wait "$SG_PID" 2>/dev/null
  fi
  rm -rf "$SG_TMP"
}
trap sg__cleanup EXIT

sg_pass() { SG_PASSED=$((SG_PASSED + 1)); echo "ok   - $1"; }
sg_fail() {
  SG_FAILED=$((SG_FAILED + 1))
  echo "FAIL - $1: ${2:-}"
  if [ -f "$SG_LOG" ]; then echo "  server log (last 5 lines):"; tail -5 "$SG_LOG" | sed 's/^/    /'; fi
}
sg_summary() {
  echo "$SG_PASSED passed, $SG_FAILED failed"
  [ "$SG_FAILED" -eq 0 ] && [ "$SG_PASSED" -gt 0 ]
}

# sg_certs DIR: a CA and a serving certificate for localhost/127.0.0.1 in DIR (kept if already there).
sg_certs() {
  "$SG_SOURCE_DIR/certs/gen-certs.sh" "$1" >/dev/null 2>&1 || { echo "cannot generate certificates in $1" >&2; return 1; }
}

# sg_curl ARGS...: curl trusting the test CA, bounded in time, with SG_CURL_OPTS (e.g. a client certificate) added.
SG_CURL_OPTS=()
sg_curl() { curl -sS --cacert "$SG_CA" --max-time 10 "${SG_CURL_OPTS[@]+"${SG_CURL_OPTS[@]}"}" "$@"; }

# sg_start_server [flags...]: runs `storygate serve` on 127.0.0.1 with an ephemeral port unless --listen is given.
sg_start_server() {
  [ -x "$SG_BIN" ] || { echo "storygate binary not found at $SG_BIN" >&2; return 1; }
  [ -f "$SG_CERTS/tls.crt" ] || sg_certs "$SG_CERTS" || return 1
  local listen=(--listen 127.0.0.1:0) data=(--data-dir "$SG_TMP/data") a
  for a in "$@"; do
    [ "$a" = "--listen" ] && listen=()
    # Each server gets its own store unless the test names one (a config file may set dataDir).
    case "$a" in --data-dir | --config | dataDir=*) data=() ;; esac
  done
  : >"$SG_LOG"
  "$SG_BIN" serve "${listen[@]}" "${data[@]}" --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/tls.key" "$@" >>"$SG_LOG" 2>&1 &
  SG_PID=$!
  local i line
  for i in $(seq 1 $((SG_START_TIMEOUT * 10))); do
    line="$(grep -m1 '"msg":"listening"' "$SG_LOG" 2>/dev/null || true)"
    [ -n "$line" ] && break
    kill -0 "$SG_PID" 2>/dev/null || { echo "storygate exited early:" >&2; cat "$SG_LOG" >&2; SG_PID=""; return 1; }
    sleep 0.1
  done
  [ -n "$line" ] || { echo "storygate did not start listening" >&2; cat "$SG_LOG" >&2; return 1; }
  SG_PORT="$(printf '%s' "$line" | jq -r .port)"
  SG_METRICS_PORT="$(printf '%s' "$line" | jq -r .metricsPort)"
  SG_URL="https://127.0.0.1:$SG_PORT"
  for i in $(seq 1 $((SG_START_TIMEOUT * 10))); do
    [ "$(sg_curl -o /dev/null -w '%{http_code}' "$SG_URL/readyz" 2>/dev/null)" = "200" ] && return 0
    sleep 0.1
  done
  echo "storygate never became ready" >&2
  return 1
}

# sg_stop_server [SIGNAL]: sends SIGTERM (or SIGNAL), waits up to 30 s, and sets SG_EXIT to the exit status.
sg_stop_server() {
  [ -n "$SG_PID" ] || return 0
  kill "-${1:-TERM}" "$SG_PID" 2>/dev/null
  local i
  for i in $(seq 1 300); do kill -0 "$SG_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SG_PID" 2>/dev/null; then kill -KILL "$SG_PID" 2>/dev/null; fi
  wait "$SG_PID" 2>/dev/null
  SG_EXIT=$?
  SG_PID=""
}

# sg_post FILE PATH [CONTENT_TYPE]: POSTs FILE's bytes; sets SG_STATUS and SG_BODY.
sg_post() {
  local out="$SG_TMP/post.out"
  SG_STATUS="$(sg_curl -o "$out" -w '%{http_code}' -H "Content-Type: ${3:-application/json}" \
    --data-binary "@$1" "$SG_URL$2" 2>/dev/null)"
  SG_BODY="$(cat "$out" 2>/dev/null)"
}

# expect_status NAME CODE PATH [curl args...]: GETs PATH (or as the curl args say) and compares the HTTP status.
expect_status() {
  local name="$1" want="$2" path="$3" out="$SG_TMP/status.out"
  shift 3
  SG_STATUS="$(sg_curl -o "$out" -w '%{http_code}' "$@" "$SG_URL$path" 2>/dev/null)"
  SG_BODY="$(cat "$out" 2>/dev/null)"
  if [ "$SG_STATUS" = "$want" ]; then sg_pass "$name"; else sg_fail "$name" "status $SG_STATUS, want $want"; fi
}

# expect_json_field NAME FIELD EXPECTED: compares `jq -c FIELD` of SG_BODY (strings compare without quotes).
expect_json_field() {
  local name="$1" field="$2" want="$3" got
  got="$(printf '%s' "$SG_BODY" | jq -c -r "$field" 2>/dev/null)"
  if [ "$got" = "$want" ]; then sg_pass "$name"; else sg_fail "$name" "$field = '$got', want '$want' (body: ${SG_BODY:0:200})"; fi
}
