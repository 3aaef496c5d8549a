#!/usr/bin/env bash
# Process lifecycle: config errors and missing certificates fail fast with one line, a taken port is reported,
# SIGTERM makes /readyz fail and exits 0, and connections over the limit are refused while open ones keep working.
source "$(dirname "$0")/lib.sh"
sg_certs "$SG_CERTS" || { sg_fail "certificates" "gen-certs.sh failed"; sg_summary; exit 1; }

# run_fail NAME WANT_STATUS WANT_TEXT ARGS...: runs storygate, expects a non-zero status and WANT_TEXT on stderr.
run_fail() {
  local name="$1" want="$2" text="$3" out="$SG_TMP/fail.err" rc
  shift 3
  timeout 10 "$SG_BIN" "$@" >/dev/null 2>"$out"
  rc=$?
  if [ "$rc" = "$want" ] && grep -qF -- "$text" "$out" && [ "$(wc -l <"$out")" = "1" ]; then
    sg_pass "$name"
  else
    sg_fail "$name" "exit $rc, stderr: $(head -c 300 "$out")"
  fi
}

cfg="$SG_TMP/bad.yaml"
printf 'listen: 127.0.0.1:0\ntls:\n  certFile: %s\n  keyfile: x\n' "$SG_CERTS/tls.crt" >"$cfg"
run_fail "unknown config key fails with line:column" 2 "$cfg:4:3: unknown key \"tls.keyfile\"" serve --config "$cfg"
printf 'http:\n  threads: lots\n' >"$cfg"
run_fail "bad config value fails with line:column" 2 "$cfg:2:12: http.threads: expected an integer" serve --config "$cfg"
printf 'listen: [oops\n' >"$cfg"
run_fail "broken YAML fails with line:column" 2 "$cfg:2:1:" serve --config "$cfg"
run_fail "missing config file fails" 2 "$SG_TMP/none.yaml: No such file or directory" serve --config "$SG_TMP/none.yaml"
run_fail "missing certificate fails" 1 "cannot read TLS certificate \"$SG_TMP/none.crt\": No such file or directory" \
  serve --listen 127.0.0.1:0 --tls-cert "$SG_TMP/none.crt" --tls-key "$SG_CERTS/tls.key"
printf 'garbage\n' >"$SG_TMP/garbage.crt"
run_fail "unreadable certificate fails" 1 "cannot load TLS certificate \"$SG_TMP/garbage.crt\"" \
  serve --listen 127.0.0.1:0 --tls-cert "$SG_TMP/garbage.crt" --tls-key "$SG_CERTS/tls.key"
run_fail "certificate and key must match" 1 "does not match certificate" \
  serve --listen 127.0.0.1:0 --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/ca.key"
run_fail "missing client CA fails" 1 "cannot read client CA \"$SG_TMP/none-ca.crt\": No such file or directory" \
  serve --listen 127.0.0.1:0 --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/tls.key" --set tls.clientCAFile="$SG_TMP/none-ca.crt"
run_fail "client names with blanks fail" 2 "for tls.clientAllowedNames: must be a list of names without blanks" \
  serve --tls-cert a --tls-key b --set "tls.clientAllowedNames=a b"
printf 'tls:\n  clientAllowedNames: [ok, [nested]]\n' >"$cfg"
run_fail "client names must be a sequence of strings" 2 "$cfg:2:23: tls.clientAllowedNames: expected a sequence of names" serve --config "$cfg"
touch "$SG_TMP/plain-file"
run_fail "a data directory that cannot be created fails" 1 "data directory $SG_TMP/plain-file/data: cannot create" \
  serve --listen 127.0.0.1:0 --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/tls.key" --data-dir "$SG_TMP/plain-file/data"
if [ -d /sys/kernel ] && ! touch /sys/kernel/.storygate-probe 2>/dev/null; then
  run_fail "a data directory that is not writable fails" 1 "data directory /sys/kernel: cannot open store in /sys/kernel" \
    serve --listen 127.0.0.1:0 --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/tls.key" --data-dir /sys/kernel
fi
run_fail "certificate is required" 2 "tls.certFile is required" serve --listen 127.0.0.1:0
run_fail "bad flag value names the flag" 2 "--log-level: invalid value \"loud\" for log.level" \
  serve --log-level loud --tls-cert a --tls-key b
run_fail "unknown flag fails" 2 "unknown option \"--bogus\"" serve --bogus
STORYGATE_HTTP_THREADS=many run_fail "bad environment value names the variable" 2 "STORYGATE_HTTP_THREADS: must be an integer" \
  serve --tls-cert a --tls-key b
"$SG_BIN" serve --help >"$SG_TMP/help.out" 2>&1 && grep -q -- "--tls-cert" "$SG_TMP/help.out" \
  && sg_pass "--help exits 0 and lists the flags" || sg_fail "--help exits 0 and lists the flags" "$(head -3 "$SG_TMP/help.out")"

# A config file with the flags overriding it.
good="$SG_TMP/good.yaml"
printf 'listen: 127.0.0.1:1\ntls:\n  certFile: %s\n  keyFile: %s\nlog:\n  level: warn\n' "$SG_CERTS/tls.crt" "$SG_CERTS/tls.key" >"$good"
sg_start_server --config "$good" --log-level info --set http.shutdownDelaySeconds=2 --set http.maxConnections=3 \
  --set http.handshakeTimeoutSeconds=1 --set http.idleTimeoutSeconds=4 \
  || { sg_fail "server starts from a config file" "see above"; sg_summary; exit 1; }
sg_pass "server starts from a config file with flag overrides"
grep -q '"msg":"listening"' "$SG_LOG" && sg_pass "logs a JSON listening line" || sg_fail "logs a JSON listening line" "missing"
jq -r 'select(.msg=="starting storygate") | .listen' "$SG_LOG" 2>/dev/null | grep -q '^127\.0\.0\.1:' && sg_pass "start line names the listen address" || sg_fail "start line names the listen address" "missing"

# Port in use: a second server on the same port fails with one line.
run_fail "a taken port is reported" 1 "listen 127.0.0.1:$SG_PORT: Address already in use" \
  serve --listen "127.0.0.1:$SG_PORT" --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/tls.key"

# Timeouts: a TCP connection that never starts TLS is closed after handshakeTimeoutSeconds (1), and a TLS connection
# that sends no request after idleTimeoutSeconds (4).
exec 9<>"/dev/tcp/127.0.0.1/$SG_PORT"
start=$SECONDS
if read -r -t 5 -u 9 _; [ $? -le 128 ]; then
  sg_pass "a silent TCP connection is closed by the handshake timeout ($((SECONDS - start)) s)"
else
  sg_fail "a silent TCP connection is closed by the handshake timeout" "still open after 5 s"
fi
exec 9<&-
start=$SECONDS
timeout 10 openssl s_client -connect "127.0.0.1:$SG_PORT" -quiet < <(sleep 9) >/dev/null 2>&1
waited=$((SECONDS - start))
[ "$waited" -ge 3 ] && [ "$waited" -le 7 ] && sg_pass "an idle TLS connection is closed by the idle timeout (${waited} s)" \
  || sg_fail "an idle TLS connection is closed by the idle timeout" "closed after ${waited} s"

# Connection limit (3): with three connections open, a new one is closed at once (and counted) while the open ones
# keep working; once one closes, new clients get in again.
for i in 1 2 3; do
  mkfifo "$SG_TMP/c$i.in"
  openssl s_client -connect "127.0.0.1:$SG_PORT" -quiet -alpn http/1.1 <"$SG_TMP/c$i.in" >"$SG_TMP/c$i.out" 2>/dev/null &
  SG_BG_PIDS+=("$!")
  eval "exec $((10 + i))>\"$SG_TMP/c$i.in\""
done
sleep 0.5
s="$(curl -sS --cacert "$SG_CA" --max-time 3 -o /dev/null -w '%{http_code}' "$SG_URL/healthz" 2>/dev/null)"
[ "$s" = "000" ] && sg_pass "a connection over http.maxConnections is refused" || sg_fail "a connection over http.maxConnections is refused" "status $s"
printf 'GET /livez HTTP/1.1\r\nHost: localhost\r\n\r\n' >&12
for i in $(seq 1 30); do grep -q 'HTTP/1.1 200' "$SG_TMP/c2.out" && break; sleep 0.1; done
grep -q 'HTTP/1.1 200' "$SG_TMP/c2.out" && sg_pass "open connections keep working at the limit" || sg_fail "open connections keep working at the limit" "$(head -c 200 "$SG_TMP/c2.out")"
exec 11>&-
kill "${SG_BG_PIDS[0]}" 2>/dev/null
s=""
for i in $(seq 1 30); do
  s="$(curl -sS --cacert "$SG_CA" --max-time 3 -o "$SG_TMP/m.out" -w '%{http_code}' "$SG_URL/metrics" 2>/dev/null)"
  [ "$s" = "200" ] && break
  sleep 0.1
done
[ "$s" = "200" ] && sg_pass "new connections are accepted again below the limit" || sg_fail "new connections are accepted again below the limit" "status $s"
n="$(awk '/^storygate_http_rejected_connections_total\{reason="max_connections"\}/{print $2}' "$SG_TMP/m.out")"
[ "${n:-0}" -ge 1 ] 2>/dev/null && sg_pass "refused connections are counted ($n)" || sg_fail "refused connections are counted" "'$n'"
grep -q '"msg":"connection limit reached; closing new connections"' "$SG_LOG" && sg_pass "the limit is logged" || sg_fail "the limit is logged" "no log line"
exec 12>&- 13>&-
for p in "${SG_BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
sleep 0.3

# SIGTERM: /readyz fails during shutdownDelaySeconds while /healthz still answers, then the process exits 0.
kill -TERM "$SG_PID"
sleep 0.5
expect_status "/readyz is 503 after SIGTERM" 503 /readyz
expect_status "/healthz still answers during the shutdown delay" 200 /healthz
sg_stop_server
[ "$SG_EXIT" = "0" ] && sg_pass "exits 0 after draining" || sg_fail "exits 0 after draining" "exit $SG_EXIT"
grep -q '"msg":"stopped"' "$SG_LOG" && sg_pass "logs the stop" || sg_fail "logs the stop" "missing"

# SIGINT behaves like SIGTERM.
sg_start_server || { sg_fail "server restarts" "see above"; sg_summary; exit 1; }
sg_stop_server INT
[ "$SG_EXIT" = "0" ] && sg_pass "SIGINT exits 0" || sg_fail "SIGINT exits 0" "exit $SG_EXIT"
sg_summary
