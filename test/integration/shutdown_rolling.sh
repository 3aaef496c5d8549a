#!/usr/bin/env bash
# Graceful shutdown in a rolling restart: two instances A and B; a client alternates between them, asking the preferred
# one's /readyz first and failing over to the other when it is not ready (as an endpoint list would). Restarting A and
# then B (SIGTERM with http.shutdownDelaySeconds=2, then a fresh start on the same port) fails no request, and each
# instance exits 0 after "shutdown requested", "draining" and "stopped".
source "$(dirname "$0")/lib.sh"
sg_certs "$SG_CERTS" || { sg_fail "certificates" "gen-certs.sh failed"; sg_summary; exit 1; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A port pid
port[A]="$(free_port)"
port[B]="$(free_port)"

# start NAME: runs instance NAME on its port and waits until it is ready.
start() {
  "$SG_BIN" serve --listen "127.0.0.1:${port[$1]}" --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/tls.key" \
    --data-dir "$SG_TMP/data-$1" --set http.shutdownDelaySeconds=2 --set http.threads=2 >>"$SG_TMP/$1.log" 2>&1 &
  pid[$1]=$!
  SG_BG_PIDS+=("${pid[$1]}")
  local i
  for i in $(seq 1 100); do
    [ "$(curl -sS --cacert "$SG_CA" --max-time 1 -o /dev/null -w '%{http_code}' "https://127.0.0.1:${port[$1]}/readyz" 2>/dev/null)" = "200" ] && return 0
    kill -0 "${pid[$1]}" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# restart NAME: SIGTERM, wait for the exit (at most 30 s), check status 0, start again.
restart() {
  local i rc
  kill -TERM "${pid[$1]}"
  for i in $(seq 1 300); do kill -0 "${pid[$1]}" 2>/dev/null || break; sleep 0.1; done
  wait "${pid[$1]}"
  rc=$?
  [ "$rc" = "0" ] && sg_pass "$1 exits 0 on SIGTERM" || sg_fail "$1 exits 0 on SIGTERM" "exit $rc"
  local order
  order="$(jq -r 'select(.msg=="shutdown requested" or .msg=="draining" or .msg=="stopped") | .msg' "$SG_TMP/$1.log" | tr '\n' ',')"
  [ "$order" = "shutdown requested,draining,stopped," ] && sg_pass "$1 logs shutdown requested, draining, stopped" || sg_fail "$1 logs shutdown requested, draining, stopped" "$order"
  : >"$SG_TMP/$1.log"
  start "$1" && sg_pass "$1 starts again on its port" || sg_fail "$1 starts again on its port" "$(tail -3 "$SG_TMP/$1.log")"
}

start A && start B && sg_pass "instances A and B are ready" || { sg_fail "instances A and B are ready" "$(cat "$SG_TMP"/*.log | tail -5)"; sg_summary; exit 1; }

cat >"$SG_TMP/delete.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-roll","kind":{"group":"runs.bubustack.io","version":"v1alpha1","kind":"StoryTrigger"},"operation":"DELETE","name":"t","namespace":"ns","object":null}}
JSON
# The client: one line per request, "TARGET STATUS"; it stops when the stop file appears (and after 120 s at most).
(
  i=0
  end=$((SECONDS + 120))
  while [ ! -e "$SG_TMP/stop" ] && [ $SECONDS -lt $end ]; do
    if [ $((i % 2)) = 0 ]; then want=A other=B; else want=B other=A; fi
    i=$((i + 1))
    ready="$(curl -sS --cacert "$SG_CA" --max-time 1 -o /dev/null -w '%{http_code}' "https://127.0.0.1:${port[$want]}/readyz" 2>/dev/null)"
    [ "$ready" = "200" ] && target=$want || target=$other
    code="$(curl -sS --cacert "$SG_CA" --max-time 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
      --data-binary "@$SG_TMP/delete.json" "https://127.0.0.1:${port[$target]}/validate" 2>/dev/null)"
    echo "$target $code" >>"$SG_TMP/client.log"
  done
) &
client=$!
SG_BG_PIDS+=("$client")
sleep 1
restart A
sleep 1
restart B
sleep 1
touch "$SG_TMP/stop"
wait "$client"

total="$(wc -l <"$SG_TMP/client.log")"
failed="$(awk '$2 != "200"' "$SG_TMP/client.log" | wc -l)"
[ "$total" -ge 20 ] && [ "$failed" = "0" ] && sg_pass "no request failed during the rolling restart ($total requests)" \
  || sg_fail "no request failed during the rolling restart" "$failed of $total failed: $(awk '$2 != "200"' "$SG_TMP/client.log" | head -3 | tr '\n' ' ')"
for n in A B; do
  c="$(awk -v n=$n '$1 == n' "$SG_TMP/client.log" | wc -l)"
  [ "$c" -gt 0 ] && sg_pass "instance $n served requests ($c)" || sg_fail "instance $n served requests" "none"
done
for n in A B; do kill -TERM "${pid[$n]}" 2>/dev/null; done
for n in A B; do wait "${pid[$n]}" 2>/dev/null; done
sg_summary
