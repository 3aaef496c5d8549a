#!/usr/bin/env bash
# Certificate rotation: replacing tls.crt/tls.key makes new connections use the new certificate within seconds,
# while a loop of requests running through the swap never fails. SIGHUP reloads too.
source "$(dirname "$0")/lib.sh"

serial_of() { openssl x509 -noout -serial -in "$1" | cut -d= -f2; }
served_serial() {
  openssl s_client -connect "127.0.0.1:$SG_PORT" -servername localhost </dev/null 2>/dev/null \
    | openssl x509 -noout -serial 2>/dev/null | cut -d= -f2
}

sg_start_server || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
old="$(serial_of "$SG_CERTS/tls.crt")"
[ "$(served_serial)" = "$old" ] && sg_pass "serves the initial certificate" || sg_fail "serves the initial certificate" "$(served_serial) != $old"

# A new serving certificate from the same CA, made aside and then moved over the served files.
next="$SG_TMP/next"
mkdir -p "$next"
cp "$SG_CERTS/ca.crt" "$SG_CERTS/ca.key" "$next/"
"$SG_SOURCE_DIR/certs/gen-certs.sh" "$next" --san DNS:rotated.example >/dev/null 2>&1
new="$(serial_of "$next/tls.crt")"
[ -n "$new" ] && [ "$new" != "$old" ] && sg_pass "made a second certificate" || sg_fail "made a second certificate" "$new"

# A connection established before the swap, used after it.
mkfifo "$SG_TMP/ll.in"
openssl s_client -connect "127.0.0.1:$SG_PORT" -quiet -alpn http/1.1 <"$SG_TMP/ll.in" >"$SG_TMP/ll.out" 2>/dev/null &
SG_BG_PIDS+=("$!")
exec 7>"$SG_TMP/ll.in"
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n' >&7

# Background load: sequential requests on fresh connections during the swap.
load_log="$SG_TMP/load.log"
(
  end=$((SECONDS + 6))
  while [ $SECONDS -lt $end ]; do
    code="$(curl -sS --cacert "$SG_CA" --max-time 5 -o /dev/null -w '%{http_code}' "$SG_URL/healthz" 2>/dev/null)"
    echo "$code" >>"$load_log"
  done
) &
load_pid=$!
SG_BG_PIDS+=("$load_pid")
sleep 1
# The key first, then the certificate: the server must keep the old pair until both match.
cp "$next/tls.key" "$SG_CERTS/tls.key.new" && mv "$SG_CERTS/tls.key.new" "$SG_CERTS/tls.key"
sleep 0.3
cp "$next/tls.crt" "$SG_CERTS/tls.crt.new" && mv "$SG_CERTS/tls.crt.new" "$SG_CERTS/tls.crt"

seen=""
for i in $(seq 1 50); do
  seen="$(served_serial)"
  [ "$seen" = "$new" ] && break
  sleep 0.1
done
[ "$seen" = "$new" ] && sg_pass "new connections see the new certificate within 5 s" || sg_fail "new connections see the new certificate within 5 s" "serving $seen"
wait "$load_pid"
total="$(wc -l <"$load_log")"
bad="$(grep -vc '^200$' "$load_log")"
[ "$total" -gt 10 ] && [ "$bad" = "0" ] && sg_pass "no request failed during the swap ($total requests)" || sg_fail "no request failed during the swap" "$bad of $total failed"

# The connection opened before the swap keeps working (established TLS sessions are untouched).
printf 'GET /livez HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&7
for i in $(seq 1 30); do [ "$(grep -c 'HTTP/1.1 200' "$SG_TMP/ll.out")" -ge 2 ] && break; sleep 0.1; done
exec 7>&-
[ "$(grep -c 'HTTP/1.1 200' "$SG_TMP/ll.out")" = "2" ] && sg_pass "a connection from before the swap keeps working" || sg_fail "a connection from before the swap keeps working" "$(head -c 300 "$SG_TMP/ll.out")"

# SIGHUP reloads on demand; a broken certificate file is refused and the old one kept.
printf 'not a certificate\n' >"$SG_CERTS/tls.crt"
sleep 1.5
[ "$(served_serial)" = "$new" ] && sg_pass "a broken certificate file keeps the previous certificate" || sg_fail "a broken certificate file keeps the previous certificate" "$(served_serial)"
grep -q 'TLS certificate reload failed' "$SG_LOG" && sg_pass "a failed reload is logged" || sg_fail "a failed reload is logged" "no log line"
cp "$next/tls.crt" "$SG_CERTS/tls.crt"
kill -HUP "$SG_PID"
sleep 0.5
kill -0 "$SG_PID" 2>/dev/null && sg_pass "SIGHUP does not stop the server" || sg_fail "SIGHUP does not stop the server" "exited"
[ "$(served_serial)" = "$new" ] && sg_pass "serves the restored certificate" || sg_fail "serves the restored certificate" "$(served_serial)"
metrics="$(sg_curl "$SG_URL/metrics")"
reads="$(printf '%s\n' "$metrics" | awk '/^certwatcher_read_certificate_total /{print $2}')"
errors="$(printf '%s\n' "$metrics" | awk '/^certwatcher_read_certificate_errors_total /{print $2}')"
[ "${reads:-0}" -ge 3 ] 2>/dev/null && sg_pass "certificate reads are counted ($reads)" || sg_fail "certificate reads are counted" "$reads"
[ "${errors:-0}" -ge 1 ] 2>/dev/null && sg_pass "certificate read errors are counted ($errors)" || sg_fail "certificate read errors are counted" "$errors"

sg_stop_server
[ "$SG_EXIT" = "0" ] && sg_pass "SIGTERM exits 0" || sg_fail "SIGTERM exits 0" "exit $SG_EXIT"
sg_summary
