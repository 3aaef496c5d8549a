#!/usr/bin/env bash
# `make bench`: drives the real server over TLS on loopback and prints figures (never pass/fail on time).
#   scripts/bench.sh BUILD_DIR            all benchmarks
#   SG_BENCH_ONLY=webhook scripts/bench.sh build   one of: webhook, cel, policy, reconcile
# Knobs: SG_BENCH_SECONDS (default 10), SG_BENCH_CONNS (32), SG_BENCH_RSS_REQUESTS (1000000; 0 skips the RSS run),
#   SG_BENCH_PACED_RPS (10000; the rate of the fixed-rate latency runs, 0 skips them).
set -euo pipefail
BUILD="${1:-build}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "$BUILD" && pwd)"
SECONDS_PER_RUN="${SG_BENCH_SECONDS:-10}"
CONNS="${SG_BENCH_CONNS:-32}"
PACED_RPS="${SG_BENCH_PACED_RPS:-10000}"
RSS_REQUESTS="${SG_BENCH_RSS_REQUESTS:-1000000}"
ONLY="${SG_BENCH_ONLY:-}"
TMP="$(mktemp -d /tmp/storygate-bench.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { # PORT
  for _ in $(seq 1 100); do
    curl -sk --max-time 1 -o /dev/null "https://127.0.0.1:$1/readyz" && return 0
    sleep 0.1
  done
  echo "bench: server on port $1 did not become ready" >&2
  return 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# wrk_run NAME URL BODY -> prints one result row, sets RPS/P50/P99
wrk_run() {
  local name="$1" url="$2" body="$3" out
  SG_BENCH_BODY="$body" wrk -t2 -c"$CONNS" -d2s -s "$ROOT/bench/post.lua" "$url" >/dev/null 2>&1 || true # warm-up
  out="$(SG_BENCH_BODY="$body" wrk -t2 -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency -s "$ROOT/bench/post.lua" "$url")"
  RPS="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
  P50="$(awk '/^SG_P50_US/ {printf "%.3f", $2/1000}' <<<"$out")"
  P99="$(awk '/^SG_P99_US/ {printf "%.3f", $2/1000}' <<<"$out")"
  local errs; errs="$(awk '/^SG_ERRORS/ {print $2}' <<<"$out")"
  local non2xx; non2xx="$(awk '/Non-2xx/ {print $4}' <<<"$out")"
  printf '  %-34s %10s req/s   p50 %7s ms   p99 %7s ms   errors %s%s\n' "$name" "$RPS" "$P50" "$P99" "${errs:-?}" \
    "${non2xx:+ non-2xx $non2xx}"
}
# Saturating rows compared with the ceiling at the end, against the mean of a ceiling run before and one after them:
# the machine's speed drifts within minutes, and one ceiling run alone can put a row above 100 %.
RATIO_ROWS=()
compare() { RATIO_ROWS+=("$1|$RPS"); }
# paced_run NAME URL BODY -> latency at a fixed rate (PACED_RPS over 32 connections), from h2load's per-request log
paced_run() {
  local name="$1" url="$2" body="$3" log="$TMP/paced.log"
  [ "$PACED_RPS" -gt 0 ] || return 0
  rm -f "$log"
  h2load --h1 -c"$CONNS" --rps="$(awk -v r="$PACED_RPS" -v c="$CONNS" 'BEGIN { printf "%.2f", r / c }')" \
    -D "$SECONDS_PER_RUN" --warm-up-time=1 -d "$body" -H 'Content-Type: application/json' --log-file="$log" \
    "$url" >"$TMP/paced.out" 2>&1 || true
  # log lines: start (µs since epoch), HTTP status, duration (µs)
  sort -n -k3,3 "$log" | awk -v name="$name" -v rate="$PACED_RPS" '
    { d[NR] = $3; if ($2 != 200) bad++ }
    END {
      if (NR == 0) { printf "  %-34s no requests logged\n", name; exit }
      p50 = d[int(NR * 0.50) + 1]; p99 = d[int(NR * 0.99) + 1]; p999 = d[int(NR * 0.999) + 1]
      printf "  %-34s %6d req/s paced: p50 %6.3f ms   p99 %6.3f ms   p99.9 %6.3f ms   (%d requests, non-200 %d)\n",
        name, rate, p50 / 1000, p99 / 1000, p999 / 1000, NR, bad + 0 }'
}

"$ROOT/certs/gen-certs.sh" "$TMP/certs" >/dev/null 2>&1
CERT="$TMP/certs/tls.crt"
KEY="$TMP/certs/tls.key"
REVIEW="$ROOT/test/admission/fixtures/bench-review.json"
echo "storygate benchmarks ($(nproc) cores, $(uname -m), wrk $CONNS connections, ${SECONDS_PER_RUN}s per run)"
echo "review body: $(wc -c <"$REVIEW") bytes ($REVIEW)"

if want webhook || want policy; then
  CPORT="$(free_port)"
  "$BUILD/bench/storygate-ceiling" "listen=127.0.0.1:$CPORT" "tls.certFile=$CERT" "tls.keyFile=$KEY" \
    log.level=warn >"$TMP/ceiling.log" 2>&1 &
  CEILING_PID=$!
  PIDS+=("$CEILING_PID")
  wait_ready "$CPORT"
  echo
  echo "== webhook: POST over TLS, HTTP/1.1 keep-alive =="
  wrk_run "transport ceiling (fixed answer)" "https://127.0.0.1:$CPORT/ceiling" "$REVIEW"
  CEIL_BEFORE="$RPS"
  paced_run "transport ceiling" "https://127.0.0.1:$CPORT/ceiling" "$REVIEW"
  if want webhook; then
    # The first steps of a review alone, same answer: what is left of the ceiling for the rest of the review.
    wrk_run "ceiling + yajl tokenizer only" "https://127.0.0.1:$CPORT/ceiling/tokenize" "$REVIEW"
    compare "yajl tokenizer only"
    wrk_run "ceiling + JSON tree only" "https://127.0.0.1:$CPORT/ceiling/tree" "$REVIEW"
    compare "JSON tree only"
  fi
fi

run_validate() { # LABEL [extra serve args...]
  local label="$1"; shift
  local port; port="$(free_port)"
  # The review's Story comes from the manifests, so /validate walks every check and allows it.
  "$BUILD/storygate" serve --listen "127.0.0.1:$port" --tls-cert "$CERT" --tls-key "$KEY" --log-level warn \
    --data-dir "$TMP/data-$port" --set "api.manifestsDir=$ROOT/test/integration/manifests-admission" "$@" \
    >"$TMP/serve-$port.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  wait_ready "$port"
  local allowed
  allowed="$(curl -sk -H 'Content-Type: application/json' --data-binary "@$REVIEW" "https://127.0.0.1:$port/validate" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["allowed"])')"
  [ "$allowed" = "True" ] || echo "  (warning: the bench review is not allowed here: $allowed)"
  wrk_run "$label" "https://127.0.0.1:$port/validate" "$REVIEW"
  compare "$label"
  paced_run "${label%% (*}" "https://127.0.0.1:$port/validate" "$REVIEW"
  SERVE_PORT="$port"
}

if want webhook; then
  run_validate "/validate (identity rules)"
  if [ "$RSS_REQUESTS" -gt 0 ]; then
    before="$(rss_kib "$SERVE_PID")"
    SG_BENCH_BODY="$REVIEW" wrk -t2 -c"$CONNS" -d120s -s "$ROOT/bench/post.lua" \
      "https://127.0.0.1:$SERVE_PORT/validate" >"$TMP/rss.out" 2>&1 &
    WRK_PID=$!
    PIDS+=("$WRK_PID")
    # Stop the load once the server has answered RSS_REQUESTS webhook requests.
    while kill -0 "$WRK_PID" 2>/dev/null; do
      n="$(curl -sk --max-time 2 "https://127.0.0.1:$SERVE_PORT/metrics" |
        awk '/^controller_runtime_webhook_requests_total\{webhook="\/validate"/ {s += $2} END {print s + 0}')"
      [ "${n%.*}" -ge "$RSS_REQUESTS" ] && break
      sleep 1
    done
    kill "$WRK_PID" 2>/dev/null || true
    after="$(rss_kib "$SERVE_PID")"
    hwm="$(awk '/^VmHWM/ {print $2}' "/proc/$SERVE_PID/status")"
    printf '  RSS over %s requests: %s KiB before, %s KiB after, peak %s KiB\n' "$n" "$before" "$after" "$hwm"
  fi
  kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true
fi

if want policy && [ -d "$ROOT/bench/policies" ]; then
  echo
  echo "== webhook with policies: deploy/policies + bench/policies loaded =="
  # bench/policies holds the deploy/policies examples plus 10 generated policies of 3 rules each.
  PDIR="$ROOT/bench/policies"
  run_validate "/validate (identity + $("$BUILD/storygate" policy check "$PDIR"/*.yaml | sed -n 's/^ok: //p'))" \
    --set "policies.dir=$PDIR"
  kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true
fi

if want webhook || want policy; then
  echo
  wrk_run "transport ceiling, again" "https://127.0.0.1:$CPORT/ceiling" "$REVIEW"
  kill "$CEILING_PID"; wait "$CEILING_PID" 2>/dev/null || true
  CEIL_RPS="$(awk -v a="$CEIL_BEFORE" -v b="$RPS" 'BEGIN { printf "%.0f", (a + b) / 2 }')"
  echo "  vs the ceiling (mean of the runs before and after: $CEIL_RPS req/s):"
  for row in "${RATIO_ROWS[@]+"${RATIO_ROWS[@]}"}"; do
    awk -v l="${row%|*}" -v r="${row##*|}" -v c="$CEIL_RPS" 'BEGIN { printf "    %-60s %6.1f %%\n", l, 100 * r / c }'
  done
fi

if want cel && [ -x "$ROOT/scripts/bench-cel.sh" ]; then
  echo
  echo "== CEL =="
  "$ROOT/scripts/bench-cel.sh" "$BUILD"
fi

if want reconcile && [ -x "$ROOT/scripts/bench-reconcile.sh" ]; then
  echo
  echo "== embedded API + reconciler =="
  "$ROOT/scripts/bench-reconcile.sh" "$BUILD" "$CERT" "$KEY"
fi
