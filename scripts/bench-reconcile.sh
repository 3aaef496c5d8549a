#!/usr/bin/env bash
# Reconcile benchmark (part of `make bench`): StoryTriggers created through the embedded API over TLS, each decided
# durably by the reconciler. Prints sustained decisions/s, and accepted->decided latency at a paced 1,000/s.
#   scripts/bench-reconcile.sh BUILD_DIR CERT KEY
# Knobs: SG_BENCH_TRIGGERS (burst size, default 20000), SG_BENCH_PACED_SECONDS (default 10).
set -euo pipefail
BUILD="$1" CERT="$2" KEY="$3"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BURST="${SG_BENCH_TRIGGERS:-20000}"
PACED_SECONDS="${SG_BENCH_PACED_SECONDS:-10}"
TMP="$(mktemp -d /tmp/storygate-bench-rec.XXXXXX)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="https://127.0.0.1:$port"
"$BUILD/storygate" serve --listen "127.0.0.1:$port" --tls-cert "$CERT" --tls-key "$KEY" --log-level warn \
  --data-dir "$TMP/data" --set "storage.basePath=$TMP/storage" >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sk --max-time 1 -o /dev/null "$URL/readyz" && break; sleep 0.1; done
curl -sk --fail -o /dev/null -H 'Content-Type: application/json' \
  --data '{"apiVersion":"bubustack.io/v1alpha1","kind":"Story","metadata":{"name":"bench","namespace":"bench"},"spec":{"steps":[{"name":"one","type":"sleep"}]}}' \
  "$URL/apis/bubustack.io/v1alpha1/namespaces/bench/stories"

decided() { # total final decisions so far
  curl -sk --max-time 5 "$URL/metrics" |
    awk '/^storygate_trigger_decisions_total\{/ && /decision="(Created|Reused|Rejected)"/ {s += $NF} END {printf "%d", s}'
}
latency_hist() { curl -sk --max-time 5 "$URL/metrics" | grep '^storygate_trigger_decision_latency_seconds_bucket' || true; }
# quantile Q from two snapshots of the cumulative histogram (Prometheus histogram_quantile, linear in the bucket)
quantile() { # Q BEFORE_FILE AFTER_FILE
  awk -v q="$1" '
    function le(line) { match(line, /le="[^"]*"/); return substr(line, RSTART + 4, RLENGTH - 5) }
    NR == FNR { before[le($0)] = $NF; next }
    { b = le($0); n++; bound[n] = b; cum[n] = $NF - before[b] }
    END {
      total = cum[n]; if (total <= 0) { print "n/a"; exit }
      rank = q * total; prev = 0; prevb = 0
      for (i = 1; i <= n; i++) {
        if (cum[i] >= rank) {
          if (bound[i] == "+Inf") { printf ">%s s", prevb; exit }
          w = cum[i] - prev; frac = w > 0 ? (rank - prev) / w : 1
          printf "%.1f ms", 1000 * (prevb + (bound[i] - prevb) * frac); exit
        }
        prev = cum[i]; prevb = bound[i]
      }
    }' "$2" "$3"
}
wait_decided() { # TARGET -> seconds waited, bounded at 120 s
  local target="$1" n
  for _ in $(seq 1 1200); do
    n="$(decided)"; [ "$n" -ge "$target" ] && return 0; sleep 0.1
  done
  echo "bench: only $n of $target triggers decided after 120 s" >&2
  return 1
}

base="$(decided)"
t0="$(date +%s.%N)"
out="$("$BUILD/bench/storygate-submit" "$URL" bench bench "$BURST" 0 256 burst)"
created="$(awk '/^SUBMIT_CREATED/ {print $2}' <<<"$out")"
wait_decided $((base + created))
t1="$(date +%s.%N)"
awk -v c="$created" -v r="$(awk '/^SUBMIT_RATE/ {print $2}' <<<"$out")" -v t0="$t0" -v t1="$t1" 'BEGIN {
  printf "  burst: %d triggers created at %d/s; all durably decided in %.2f s = %.0f decisions/s\n", c, r, t1 - t0, c / (t1 - t0) }'

latency_hist >"$TMP/h0"
base="$(decided)"
paced=$((PACED_SECONDS * 1000))
out="$("$BUILD/bench/storygate-submit" "$URL" bench bench "$paced" 1000 64 paced)"
created="$(awk '/^SUBMIT_CREATED/ {print $2}' <<<"$out")"
wait_decided $((base + created))
latency_hist >"$TMP/h1"
printf '  paced 1000/s for %s s: %s created; accepted->decided p50 %s, p99 %s (from the latency histogram)\n' \
  "$PACED_SECONDS" "$created" "$(quantile 0.5 "$TMP/h0" "$TMP/h1")" "$(quantile 0.99 "$TMP/h0" "$TMP/h1")"
