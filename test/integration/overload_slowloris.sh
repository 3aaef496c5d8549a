#!/usr/bin/env bash
# Slow senders: a request whose headers trickle in, or whose body stalls, is cut after http.requestTimeoutSeconds
# (HTTP/1.1: the connection is closed; HTTP/2: the stream is reset, even while the client keeps the connection busy
# with body bytes and PINGs), and an HTTP/2 connection that only PINGs is closed as idle. Other clients are served
# meanwhile. Bounds are generous: the client gives up after 10 s against a 2 s timeout.
source "$(dirname "$0")/lib.sh"
CLIENT="$(dirname "$0")/overload_client.py"

sg_start_server --set http.requestTimeoutSeconds=2 --set http.idleTimeoutSeconds=60 --data-dir "$SG_TMP/data" \
  || { sg_fail "server starts" "see above"; sg_summary; exit 1; }

python3 "$CLIENT" slow-h1-headers "$SG_PORT" "$SG_CA" 10 >"$SG_TMP/h1h.out" 2>&1 &
slow=$!
SG_BG_PIDS+=("$slow")
sleep 0.5
expect_status "other clients are served while headers trickle in" 200 /readyz
wait "$slow"
r="$(cat "$SG_TMP/h1h.out")"
[[ "$r" == closed* ]] && sg_pass "HTTP/1.1 headers trickling in are cut ($r s)" || sg_fail "HTTP/1.1 headers trickling in are cut" "$r"

r="$(python3 "$CLIENT" slow-h1-body "$SG_PORT" "$SG_CA" 10 2>&1)"
[[ "$r" == closed* ]] && sg_pass "an HTTP/1.1 body that stalls is cut ($r s)" || sg_fail "an HTTP/1.1 body that stalls is cut" "$r"

r="$(python3 "$CLIENT" slow-h2-body "$SG_PORT" "$SG_CA" 10 2>&1)"
[[ "$r" == reset* || "$r" == closed* ]] && sg_pass "an HTTP/2 body trickling in with PINGs is cut ($r s)" || sg_fail "an HTTP/2 body trickling in with PINGs is cut" "$r"

metrics="$(sg_curl "$SG_URL/metrics")"
n="$(awk '/^storygate_http_request_timeouts_total /{print $2}' <<<"$metrics")"
[ "${n:-0}" -ge 1 ] 2>/dev/null && sg_pass "HTTP/2 request timeouts are counted ($n)" || sg_fail "HTTP/2 request timeouts are counted" "'$n'"
grep -q '"msg":"reset an HTTP/2 request that did not arrive in time"' "$SG_LOG" && sg_pass "HTTP/2 request timeouts are logged" || sg_fail "HTTP/2 request timeouts are logged" "no log line"
expect_status "the server stays healthy" 200 /healthz --http2
sg_stop_server
[ "$SG_EXIT" = "0" ] && sg_pass "SIGTERM exits 0" || sg_fail "SIGTERM exits 0" "exit $SG_EXIT"

# An HTTP/2 connection kept busy with PINGs only is idle: closed with GOAWAY(NO_ERROR) after http.idleTimeoutSeconds.
sg_start_server --set http.idleTimeoutSeconds=2 --data-dir "$SG_TMP/data" || { sg_fail "server restarts" "see above"; sg_summary; exit 1; }
r="$(python3 "$CLIENT" ping-idle "$SG_PORT" "$SG_CA" 10 2>&1)"
[[ "$r" == "goaway 0 "* ]] && sg_pass "an HTTP/2 connection that only PINGs is closed as idle ($r s)" || sg_fail "an HTTP/2 connection that only PINGs is closed as idle" "$r"
sg_stop_server

# The timeout is what cuts them: with the default 30 s, the same slow senders are still connected after 4 s.
sg_start_server --data-dir "$SG_TMP/data" || { sg_fail "server restarts" "see above"; sg_summary; exit 1; }
r="$(python3 "$CLIENT" slow-h1-headers "$SG_PORT" "$SG_CA" 4 2>&1)"
[ "$r" = "open" ] && sg_pass "with the default timeout a slow HTTP/1.1 sender is not cut within 4 s" || sg_fail "with the default timeout a slow HTTP/1.1 sender is not cut within 4 s" "$r"
r="$(python3 "$CLIENT" slow-h2-body "$SG_PORT" "$SG_CA" 4 2>&1)"
[ "$r" = "open" ] && sg_pass "with the default timeout a slow HTTP/2 sender is not cut within 4 s" || sg_fail "with the default timeout a slow HTTP/2 sender is not cut within 4 s" "$r"
sg_stop_server
sg_summary
