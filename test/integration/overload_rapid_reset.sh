#!/usr/bin/env bash
# HTTP/2 rapid reset (CVE-2023-44487): a connection that opens and cancels streams faster than
# http.http2MaxResetsPerSecond gets GOAWAY(ENHANCE_YOUR_CALM) and is closed, and it is counted and logged; a client
# that cancels a few streams is left alone; the server keeps serving.
source "$(dirname "$0")/lib.sh"
CLIENT="$(dirname "$0")/overload_client.py"

sg_start_server --data-dir "$SG_TMP/data" || { sg_fail "server starts" "see above"; sg_summary; exit 1; }

python3 "$CLIENT" rapid-reset "$SG_PORT" "$SG_CA" 1000 >"$SG_TMP/flood.out" 2>&1
r="$(head -1 "$SG_TMP/flood.out")"
[ "$r" = "goaway 11" ] && sg_pass "1000 HEADERS+RST_STREAM pairs get GOAWAY(ENHANCE_YOUR_CALM)" || sg_fail "1000 HEADERS+RST_STREAM pairs get GOAWAY(ENHANCE_YOUR_CALM)" "$(head -c 300 "$SG_TMP/flood.out")"

r="$(python3 "$CLIENT" rapid-reset "$SG_PORT" "$SG_CA" 5 2>&1 | head -1)"
[ "$r" = "open" ] && sg_pass "a client cancelling 5 streams keeps its connection" || sg_fail "a client cancelling 5 streams keeps its connection" "$r"

metrics="$(sg_curl "$SG_URL/metrics")"
grep -q '^storygate_http_rejected_connections_total{reason="http2_reset_flood"} 1$' <<<"$metrics" \
  && sg_pass "the flood is counted once" || sg_fail "the flood is counted once" "$(grep rejected_connections_total <<<"$metrics")"
grep -q '"msg":"closing an HTTP/2 connection that resets too many streams"' "$SG_LOG" && sg_pass "the flood is logged" || sg_fail "the flood is logged" "no log line"
expect_status "HTTP/2 clients are still served" 200 /readyz --http2
expect_status "HTTP/1.1 clients are still served" 200 /readyz --http1.1

# A lower budget applies as configured.
sg_stop_server
sg_start_server --set http.http2MaxResetsPerSecond=3 --data-dir "$SG_TMP/data" || { sg_fail "server restarts" "see above"; sg_summary; exit 1; }
r="$(python3 "$CLIENT" rapid-reset "$SG_PORT" "$SG_CA" 5 2>&1 | head -1)"
[ "$r" = "goaway 11" ] && sg_pass "http.http2MaxResetsPerSecond=3 cuts a client cancelling 5 streams" || sg_fail "http.http2MaxResetsPerSecond=3 cuts a client cancelling 5 streams" "$r"
sg_stop_server
[ "$SG_EXIT" = "0" ] && sg_pass "SIGTERM exits 0" || sg_fail "SIGTERM exits 0" "exit $SG_EXIT"
sg_summary
