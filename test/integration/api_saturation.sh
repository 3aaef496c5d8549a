#!/usr/bin/env bash
# A saturated store: another process holds the LMDB writer lock (test/integration/lmdb_hold), so no store commit can
# happen. With api.workers=2 and api.maxQueuedRequests=4, concurrent creates beyond what the queue holds get 429 with
# Retry-After and a TooManyRequests Status (so do a list and a watch, which share the worker pool), while admission,
# /healthz, /readyz and /metrics keep answering. Once the lock is released the accepted creates finish with 201 and
# are decided.
#
# Deterministic because the queue cannot drain while the lock is held: queued jobs and creates awaiting their commit
# both count against api.maxQueuedRequests, and no commit completes, so once one request got 429 the queue is full and
# every later request gets 429 until the release.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_api.sh"

HOLD="${SG_LMDB_HOLD:-$SG_BINARY_DIR/test/sg_lmdb_hold}"
W="$SG_START_TIMEOUT" # seconds; scripts/check-valgrind.sh raises it, and every wait below scales with it
N=20
WORKERS=2
QUEUE=4
FIX="$SG_SOURCE_DIR/test/admission/fixtures"
T=/apis/runs.bubustack.io/v1alpha1/namespaces/default/storytriggers

[ -x "$HOLD" ] || { sg_fail "lock holder built" "$HOLD not found (cmake --build BUILD --target sg_lmdb_hold)"; sg_summary; exit 1; }
sg_start_server --set api.workers=$WORKERS --set api.maxQueuedRequests=$QUEUE \
  --set "api.manifestsDir=$SG_SOURCE_DIR/test/integration/manifests-admission" \
  || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
ready="$(grep -m1 '"msg":"embedded API ready"' "$SG_LOG")"
[ "$(jq -c '[.workers, .maxQueuedRequests]' <<<"$ready" 2>/dev/null)" = "[$WORKERS,$QUEUE]" ] \
  && sg_pass "api.workers and api.maxQueuedRequests reach the worker pool" || sg_fail "pool settings" "${ready:0:300}"

# N + 1 unkeyed triggers of a Story loaded from the manifests; the last one is created after the release.
mkdir -p "$SG_TMP/docs" "$SG_TMP/r"
for i in $(seq 1 $((N + 1))); do
  printf '{"id":"t%s","ns":"default","story":"triggered-story","key":"","sub":"sat-%s","inputs":"{\\"i\\":%s}"}\n' \
    "$i" "$i" "$i"
done | make_triggers "$SG_TMP/docs"

# metric NAME_AND_LABELS: the value of one series on /metrics (0 when absent).
metric() {
  sg_curl --max-time "$W" "$SG_URL/metrics" 2>/dev/null | awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }'
}
post429_before="$(metric 'storygate_api_requests_total{method="POST",code="429"}')"
get429_before="$(metric 'storygate_api_requests_total{method="GET",code="429"}')"

# ---- saturate: hold the writer lock; its stdin is a FIFO whose write end this shell keeps on fd 9 ----
mkfifo "$SG_TMP/hold.in"
"$HOLD" "$SG_TMP/data" $((W * 30)) <"$SG_TMP/hold.in" >"$SG_TMP/hold.out" 2>&1 &
hold_pid=$!
SG_BG_PIDS+=("$hold_pid")
exec 9>"$SG_TMP/hold.in"
for _ in $(seq 1 $((W * 10))); do
  grep -q '^held$' "$SG_TMP/hold.out" 2>/dev/null && break
  kill -0 "$hold_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q '^held$' "$SG_TMP/hold.out" \
  || { sg_fail "the store's writer lock is taken" "$(cat "$SG_TMP/hold.out")"; sg_summary; exit 1; }
sg_pass "another process holds the store's writer lock"

# N concurrent creates; each leaves its status code (written when curl ends), headers and body in $SG_TMP/r.
# 9>&-: the children must not keep the FIFO open, or closing fd 9 would not release the lock.
create_pids=()
for i in $(seq 1 "$N"); do
  sg_curl --max-time $((W * 12)) -o "$SG_TMP/r/$i.body" -D "$SG_TMP/r/$i.headers" -w '%{http_code}\n' \
    -H "Content-Type: application/json" --data-binary "@$SG_TMP/docs/t$i.json" "$SG_URL$T" \
    >"$SG_TMP/r/$i.code" 2>/dev/null 9>&- &
  create_pids+=($!)
  SG_BG_PIDS+=($!)
done
count_code() { cat "$SG_TMP"/r/*.code 2>/dev/null | grep -c "^$1\$"; }

# At most QUEUE are counted, plus at most WORKERS being run between leaving the queue and handing their write to the
# store, so at least N - WORKERS - QUEUE must be refused while the lock is held.
min429=$((N - WORKERS - QUEUE))
for _ in $(seq 1 $((W * 30))); do
  [ "$(count_code 429)" -ge "$min429" ] && break
  sleep 0.1
done
got429="$(count_code 429)"
[ "$got429" -ge "$min429" ] && sg_pass "$got429 of $N concurrent creates got 429 while the store is blocked" \
  || sg_fail "429 while saturated" "$got429 got 429, want at least $min429 (codes: $(cat "$SG_TMP"/r/*.code | sort | uniq -c | tr '\n' ' '))"
[ "$(count_code 201)" = 0 ] && sg_pass "no create completes while the writer lock is held" \
  || sg_fail "blocked store" "$(count_code 201) creates answered 201 during the hold"

bad=""
for f in "$SG_TMP"/r/*.code; do
  [ "$(cat "$f")" = 429 ] || continue
  i="$(basename "$f" .code)"
  ra="$(grep -i '^retry-after:' "$SG_TMP/r/$i.headers" | tr -d '\r' | awk '{ print $2 }')"
  [[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] || bad="$bad #$i Retry-After='$ra'"
  jq -e '.kind == "Status" and .apiVersion == "v1" and .status == "Failure" and .reason == "TooManyRequests"
         and .code == 429 and (.message | length > 0)' "$SG_TMP/r/$i.body" >/dev/null 2>&1 \
    || bad="$bad #$i body=$(head -c 200 "$SG_TMP/r/$i.body")"
done
[ -z "$bad" ] && sg_pass "every 429 carries Retry-After >= 1 and a TooManyRequests Status (code 429)" \
  || sg_fail "429 responses" "$bad"

# Admission and the probes do not touch the store or the worker pool.
code="$(sg_curl --max-time "$W" -o "$SG_TMP/validate.out" -w '%{http_code}' -H "Content-Type: application/json" \
  --data-binary "@$FIX/create.json" "$SG_URL/validate" 2>/dev/null)"
SG_BODY="$(cat "$SG_TMP/validate.out" 2>/dev/null)"
[ "$code" = 200 ] && sg_pass "POST /validate answers 200 while the store is saturated" \
  || sg_fail "admission while saturated" "status $code"
expect_json_field "the AdmissionReview is decided (allowed, uid echoed)" '[.response.allowed, .response.uid] | @json' \
  '[true,"705ab4f5-6393-11e8-b7cc-42010a800002"]'
code="$(sg_curl --max-time "$W" -o "$SG_TMP/mutate.out" -w '%{http_code}' -H "Content-Type: application/json" \
  --data-binary "@$FIX/create.json" "$SG_URL/mutate" 2>/dev/null)"
[ "$code" = 200 ] && jq -e '.response.allowed == true' "$SG_TMP/mutate.out" >/dev/null 2>&1 \
  && sg_pass "POST /mutate answers 200 while the store is saturated" || sg_fail "mutate while saturated" "status $code"
for p in /healthz /readyz; do
  code="$(sg_curl --max-time "$W" -o /dev/null -w '%{http_code}' "$SG_URL$p" 2>/dev/null)"
  [ "$code" = 200 ] && sg_pass "$p answers 200 while the store is saturated" || sg_fail "$p while saturated" "status $code"
done

# The queue stays full until the release, so a further create, a list and a watch are refused at once.
probe() { # probe NAME METHOD PATH [FILE]: expects 429 with Retry-After and a TooManyRequests Status
  local name="$1" args=(-X "$2") ra
  [ -n "${4:-}" ] && args+=(-H "Content-Type: application/json" --data-binary "@$4")
  SG_STATUS="$(sg_curl --max-time "$W" -o "$SG_TMP/probe.body" -D "$SG_TMP/probe.headers" -w '%{http_code}' \
    "${args[@]}" "$SG_URL$3" 2>/dev/null 9>&-)"
  ra="$(grep -i '^retry-after:' "$SG_TMP/probe.headers" 2>/dev/null | tr -d '\r' | awk '{ print $2 }')"
  if [ "$SG_STATUS" = 429 ] && [[ "$ra" =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] \
    && jq -e '.reason == "TooManyRequests" and .code == 429' "$SG_TMP/probe.body" >/dev/null 2>&1; then
    sg_pass "$name gets 429 with Retry-After $ra while the queue is full"
  else
    sg_fail "$name while saturated" "status $SG_STATUS, Retry-After '$ra', body $(head -c 200 "$SG_TMP/probe.body" 2>/dev/null)"
  fi
}
probe "one more create" POST "$T" "$SG_TMP/docs/t$((N + 1)).json"
probe "a list" GET "$T"
probe "a watch (its catch-up runs on the same pool)" GET "$T?watch=true"

# A refusal is counted before it is sent, so re-read until the client side has caught up with the counter.
for _ in $(seq 1 $((W * 10))); do
  post429="$(metric 'storygate_api_requests_total{method="POST",code="429"}')"
  get429="$(metric 'storygate_api_requests_total{method="GET",code="429"}')"
  want_post=$((post429_before + $(count_code 429) + 1))
  [ "$post429" = "$want_post" ] && break
  sleep 0.1
done
[ "$post429" = "$want_post" ] && [ "$get429" = $((get429_before + 2)) ] \
  && sg_pass "storygate_api_requests_total{code=\"429\"} counts every refused request (POST $post429, GET $get429)" \
  || sg_fail "429 metric" "POST $post429 (want $want_post), GET $get429 (want $((get429_before + 2)))"

# ---- release: EOF on the holder's stdin aborts its transaction ----
exec 9>&-
for _ in $(seq 1 $((W * 10))); do kill -0 "$hold_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$hold_pid" 2>/dev/null; then
  sg_fail "the lock is released on EOF" "holder still running"
  kill "$hold_pid" 2>/dev/null
else
  sg_pass "the writer lock is released"
fi
wait "$hold_pid" 2>/dev/null

# Every create ends: the accepted ones with 201, the refused ones kept their 429.
for _ in $(seq 1 $((W * 60))); do
  done_n=0
  for f in "$SG_TMP"/r/*.code; do [ -s "$f" ] && done_n=$((done_n + 1)); done
  [ "$done_n" = "$N" ] && break
  sleep 0.1
done
for p in "${create_pids[@]}"; do wait "$p" 2>/dev/null; done
c201="$(count_code 201)"
c429="$(count_code 429)"
[ $((c201 + c429)) = "$N" ] && sg_pass "all $N creates answered: $c201 x 201, $c429 x 429" \
  || sg_fail "all creates answered" "codes: $(cat "$SG_TMP"/r/*.code | sort | uniq -c | tr '\n' ' ')"
# The first QUEUE requests to reach the pool always fit; at most WORKERS more slipped in while being run.
[ "$c201" -ge "$QUEUE" ] && [ "$c201" -le $((QUEUE + WORKERS)) ] \
  && sg_pass "the accepted creates ($c201, between $QUEUE and $((QUEUE + WORKERS))) finished with 201" \
  || sg_fail "accepted creates" "$c201 got 201, want $QUEUE..$((QUEUE + WORKERS))"

undecided=""
for f in "$SG_TMP"/r/*.code; do
  [ "$(cat "$f")" = 201 ] || continue
  i="$(basename "$f" .code)"
  name="$(jq -r .metadata.name "$SG_TMP/docs/t$i.json")"
  wait_decision default "$name" $((W * 3)) && [ "$DECISION" = Created ] || undecided="$undecided $name=$DECISION"
done
[ -z "$undecided" ] && sg_pass "the reconciler decided every accepted create (Created)" \
  || sg_fail "decisions after the release" "$undecided"
refused=0
for f in "$SG_TMP"/r/*.code; do
  [ "$(cat "$f")" = 429 ] || continue
  i="$(basename "$f" .code)"
  api GET "$T/$(jq -r .metadata.name "$SG_TMP/docs/t$i.json")"
  [ "$SG_STATUS" = 404 ] || refused=$((refused + 1))
done
[ "$refused" = 0 ] && sg_pass "no create that got 429 was stored" || sg_fail "429 means not stored" "$refused exist"

api POST "$T" "$SG_TMP/docs/t$((N + 1)).json"
name="$(jq -r .metadata.name "$SG_TMP/docs/t$((N + 1)).json")"
[ "$SG_STATUS" = 201 ] && wait_decision default "$name" $((W * 3)) && [ "$DECISION" = Created ] \
  && sg_pass "a new create after the release gets 201 and is decided" \
  || sg_fail "create after the release" "$SG_STATUS decision '$DECISION' ${SG_BODY:0:200}"
api GET "$T?watch=true&timeoutSeconds=1"
[ "$SG_STATUS" = 200 ] && [ "$(head -1 <<<"$SG_BODY" | jq -r .type 2>/dev/null)" = ADDED ] \
  && sg_pass "a watch streams again after the release" || sg_fail "watch after the release" "$SG_STATUS ${SG_BODY:0:200}"

sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "the server exits 0 on SIGTERM" || sg_fail "clean exit" "exit $SG_EXIT"
sg_summary
