#!/usr/bin/env bash
# Many idle connections: with 1,000 TLS connections held open (half HTTP/2, half HTTP/1.1), admission reviews and
# probes on new connections still succeed, the held connections stay up, and the connection gauge follows them.
source "$(dirname "$0")/lib.sh"
CLIENT="$(dirname "$0")/overload_client.py"
HOLD=1000

sg_start_server --set http.threads=2 --data-dir "$SG_TMP/data" || { sg_fail "server starts" "see above"; sg_summary; exit 1; }

cat >"$SG_TMP/delete.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-idle","kind":{"group":"runs.bubustack.io","version":"v1alpha1","kind":"StoryTrigger"},"operation":"DELETE","name":"t","namespace":"ns","object":null}}
JSON

# The holder keeps its connections until its stdin (a fifo we hold open) closes, and at most 60 s.
mkfifo "$SG_TMP/hold.in"
python3 "$CLIENT" hold "$SG_PORT" "$SG_CA" "$HOLD" 60 <"$SG_TMP/hold.in" >"$SG_TMP/hold.out" 2>&1 &
holder=$!
SG_BG_PIDS+=("$holder")
exec 8>"$SG_TMP/hold.in"
for i in $(seq 1 600); do grep -q '^held' "$SG_TMP/hold.out" && break; kill -0 "$holder" 2>/dev/null || break; sleep 0.1; done
grep -q "^held $HOLD\$" "$SG_TMP/hold.out" && sg_pass "$HOLD idle TLS connections are established" \
  || sg_fail "$HOLD idle TLS connections are established" "$(head -c 300 "$SG_TMP/hold.out")"

gauge="$(sg_curl "$SG_URL/metrics" | awk '/^storygate_http_connections /{printf "%d", $2}')"
[ "${gauge:-0}" -ge "$HOLD" ] 2>/dev/null && sg_pass "storygate_http_connections counts them ($gauge)" \
  || sg_fail "storygate_http_connections counts them" "'$gauge'"

ok=0
for i in $(seq 1 20); do
  sg_post "$SG_TMP/delete.json" /validate
  [ "$SG_STATUS" = "200" ] && [ "$(printf '%s' "$SG_BODY" | jq -r .response.uid 2>/dev/null)" = "uid-idle" ] && ok=$((ok + 1))
done
[ "$ok" = "20" ] && sg_pass "admission answers on new connections meanwhile (20/20)" || sg_fail "admission answers on new connections meanwhile" "$ok/20"
n="$(sg_curl --http2 -o /dev/null -w '%{http_code}\n' "$SG_URL/readyz" "$SG_URL/livez" "$SG_URL/readyz" | grep -c '^200$')"
[ "$n" = "3" ] && sg_pass "probes answer over HTTP/2 meanwhile" || sg_fail "probes answer over HTTP/2 meanwhile" "$n/3"

exec 8>&-
for i in $(seq 1 100); do grep -q '^alive' "$SG_TMP/hold.out" && break; sleep 0.1; done
grep -q "^alive $HOLD\$" "$SG_TMP/hold.out" && sg_pass "every held connection stayed open" \
  || sg_fail "every held connection stayed open" "$(tail -1 "$SG_TMP/hold.out")"
wait "$holder" 2>/dev/null
gauge=""
for i in $(seq 1 50); do
  gauge="$(sg_curl "$SG_URL/metrics" | awk '/^storygate_http_connections /{printf "%d", $2}')"
  [ "${gauge:-9999}" -le 5 ] 2>/dev/null && break
  sleep 0.1
done
[ "${gauge:-9999}" -le 5 ] 2>/dev/null && sg_pass "the gauge falls back when they close ($gauge)" || sg_fail "the gauge falls back when they close" "'$gauge'"

sg_stop_server
[ "$SG_EXIT" = "0" ] && sg_pass "SIGTERM exits 0" || sg_fail "SIGTERM exits 0" "exit $SG_EXIT"
sg_summary
