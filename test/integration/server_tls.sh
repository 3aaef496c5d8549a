#!/usr/bin/env bash
# Transport: TLS versions and ciphers, ALPN (h2 and http/1.1), health probes, /metrics, routing and body limits.
source "$(dirname "$0")/lib.sh"

sg_start_server --set http.maxBodyBytes=4096 --metrics-listen 127.0.0.1:0 || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
sg_pass "server starts and becomes ready"

v="$(sg_curl --http2 -o /dev/null -w '%{http_version}' "$SG_URL/healthz")"
[ "$v" = "2" ] && sg_pass "ALPN negotiates h2" || sg_fail "ALPN negotiates h2" "got HTTP/$v"
v="$(sg_curl --http1.1 -o /dev/null -w '%{http_version}' "$SG_URL/healthz")"
[ "$v" = "1.1" ] && sg_pass "ALPN negotiates http/1.1" || sg_fail "ALPN negotiates http/1.1" "got HTTP/$v"
alpn="$(openssl s_client -connect "127.0.0.1:$SG_PORT" -alpn http/1.1 -CAfile "$SG_CA" </dev/null 2>/dev/null | grep -m1 'ALPN protocol')"
[[ "$alpn" == *"http/1.1"* ]] && sg_pass "http/1.1 is acknowledged in ALPN" || sg_fail "http/1.1 is acknowledged in ALPN" "$alpn"

for ver in 1.2 1.3; do
  v="$(sg_curl --tlsv$ver --tls-max $ver -o /dev/null -w '%{http_code}' "$SG_URL/healthz")"
  [ "$v" = "200" ] && sg_pass "TLS $ver is accepted" || sg_fail "TLS $ver is accepted" "status $v"
done
for flag in -tls1 -tls1_1; do
  if openssl s_client -connect "127.0.0.1:$SG_PORT" $flag -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >/dev/null 2>&1; then
    sg_fail "openssl s_client $flag is refused" "handshake succeeded"
  else
    sg_pass "openssl s_client $flag is refused"
  fi
done
if openssl s_client -connect "127.0.0.1:$SG_PORT" -tls1_2 -cipher 'AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA' </dev/null >/dev/null 2>&1; then
  sg_fail "CBC cipher suites are refused" "handshake succeeded"
else
  sg_pass "CBC cipher suites are refused"
fi
cipher="$(openssl s_client -connect "127.0.0.1:$SG_PORT" -tls1_2 </dev/null 2>/dev/null | grep -m1 'Cipher is' )"
[[ "$cipher" == *ECDHE*GCM* || "$cipher" == *ECDHE*CHACHA20* ]] && sg_pass "TLS 1.2 picks an ECDHE AEAD suite" || sg_fail "TLS 1.2 picks an ECDHE AEAD suite" "$cipher"

expect_status "/healthz is 200" 200 /healthz
expect_status "/livez is 200" 200 /livez
expect_status "/readyz is 200 while serving" 200 /readyz
expect_status "HEAD /healthz is 200" 200 /healthz -I
expect_status "unknown path is 404" 404 /no/such/path
expect_status "/metrics is 200" 200 /metrics
metrics="$SG_TMP/metrics.txt"
printf '%s\n' "$SG_BODY" >"$metrics"
if [ -s "$metrics" ] && promtool check metrics <"$metrics" >"$SG_TMP/promtool.out" 2>&1; then
  sg_pass "/metrics passes promtool check metrics"
else
  sg_fail "/metrics passes promtool check metrics" "$(head -5 "$SG_TMP/promtool.out")"
fi
for m in controller_runtime_webhook_requests_total controller_runtime_webhook_latency_seconds_bucket \
         controller_runtime_webhook_requests_in_flight controller_runtime_webhook_panics_total \
         certwatcher_read_certificate_total certwatcher_read_certificate_errors_total storygate_http_connections \
         storygate_http_rejected_connections_total storygate_tls_certificate_expiry_timestamp_seconds; do
  grep -q "^$m" "$metrics" && sg_pass "/metrics has $m" || sg_fail "/metrics has $m" "missing"
done
want_expiry="$(date -d "$(openssl x509 -noout -enddate -in "$SG_CERTS/tls.crt" | cut -d= -f2)" +%s)"
got_expiry="$(awk '/^storygate_tls_certificate_expiry_timestamp_seconds /{printf "%d", $2}' "$metrics")"
[ "$got_expiry" = "$want_expiry" ] && sg_pass "certificate expiry gauge is the certificate's notAfter" \
  || sg_fail "certificate expiry gauge is the certificate's notAfter" "$got_expiry != $want_expiry"
grep -q '^controller_runtime_webhook_panics_total 0' "$metrics" && sg_pass "webhook panics stay 0" || sg_fail "webhook panics stay 0" "missing"
grep -q 'controller_runtime_webhook_requests_total{webhook="/validate-runs-bubustack-io-v1alpha1-storytrigger",code="200"} 0' "$metrics" \
  && sg_pass "webhook counters are pre-created at 0" || sg_fail "webhook counters are pre-created at 0" "missing"

# The separate plain-HTTP metrics listener serves probes and metrics but not the webhooks.
mp="$SG_METRICS_PORT"
[ "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mp/metrics")" = "200" ] \
  && sg_pass "metrics listener serves /metrics over plain HTTP" || sg_fail "metrics listener serves /metrics over plain HTTP" "port $mp"
[ "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mp/readyz")" = "200" ] \
  && sg_pass "metrics listener serves /readyz" || sg_fail "metrics listener serves /readyz" "port $mp"
[ "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -d '{}' "http://127.0.0.1:$mp/validate")" = "404" ] \
  && sg_pass "metrics listener does not serve webhooks" || sg_fail "metrics listener does not serve webhooks" "port $mp"

# Body limits: larger than http.maxBodyBytes is refused by the transport; exactly the limit gets the
# controller-runtime answer inside an AdmissionReview with HTTP 200.
head -c 5000 /dev/zero | tr '\0' 'a' >"$SG_TMP/big.json"
s="$(sg_curl --http1.1 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$SG_TMP/big.json" "$SG_URL/validate")"
[ "$s" = "413" ] && sg_pass "HTTP/1.1 body over the limit is 413" || sg_fail "HTTP/1.1 body over the limit is 413" "status $s"
# h2o 2.2 resets an HTTP/2 stream whose body exceeds the limit (REFUSED_STREAM) instead of answering 413.
s="$(sg_curl --http2 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$SG_TMP/big.json" "$SG_URL/validate" 2>/dev/null)"
[ "$s" != "200" ] && sg_pass "HTTP/2 body over the limit is refused" || sg_fail "HTTP/2 body over the limit is refused" "status $s"
expect_status "server stays healthy after oversized bodies" 200 /healthz --http2
head -c 4096 /dev/zero | tr '\0' 'a' >"$SG_TMP/limit.json"
sg_post "$SG_TMP/limit.json" /validate-runs-bubustack-io-v1alpha1-storytrigger
[ "$SG_STATUS" = "200" ] && sg_pass "body of exactly the limit is answered with HTTP 200" || sg_fail "body of exactly the limit is answered with HTTP 200" "status $SG_STATUS"
expect_json_field "limit answer has status.code 413" .response.status.code 413
expect_json_field "limit answer has controller-runtime's message" .response.status.message "request entity is too large; limit is 4096 bytes"
expect_json_field "limit answer is not allowed" .response.allowed false

# The webhook routes hand the body to admission: a decoded review is HTTP 200 (the verdict is in the review).
cat >"$SG_TMP/delete.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-1","kind":{"group":"runs.bubustack.io","version":"v1alpha1","kind":"StoryTrigger"},"operation":"DELETE","name":"t","namespace":"ns","object":null}}
JSON
for path in /validate /validate-runs-bubustack-io-v1alpha1-storytrigger /mutate; do
  sg_post "$SG_TMP/delete.json" "$path"
  [ "$SG_STATUS" = "200" ] && sg_pass "POST $path is HTTP 200" || sg_fail "POST $path is HTTP 200" "status $SG_STATUS"
  expect_json_field "POST $path echoes the request uid" .response.uid uid-1
done
: >"$SG_TMP/empty.json"
sg_post "$SG_TMP/empty.json" /validate
expect_json_field "an empty body is answered inside the review" .response.status.code 400
[ "$SG_STATUS" = "400" ] && sg_pass "an empty body is HTTP 400" || sg_fail "an empty body is HTTP 400" "status $SG_STATUS"
metrics="$(sg_curl "$SG_URL/metrics")"
grep -q 'storygate_admission_requests_total{webhook="/validate",operation="DELETE",allowed="true"' <<<"$metrics" \
  && sg_pass "admission outcomes are counted" || sg_fail "admission outcomes are counted" "missing series"
grep -q 'controller_runtime_webhook_requests_total{webhook="/validate",code="200"} 1' <<<"$metrics" \
  && grep -q 'controller_runtime_webhook_requests_total{webhook="/validate",code="400"} 1' <<<"$metrics" \
  && sg_pass "webhook requests are counted by code" || sg_fail "webhook requests are counted by code" "$(grep 'webhook="/validate",code' <<<"$metrics")"

# Keep-alive: many requests over one HTTP/1.1 connection and one HTTP/2 connection.
urls=()
for i in $(seq 1 50); do urls+=("$SG_URL/healthz"); done
n="$(sg_curl --http1.1 -w '%{http_code}\n' -o /dev/null "${urls[@]}" | grep -c '^200$')"
[ "$n" = "50" ] && sg_pass "50 keep-alive HTTP/1.1 requests succeed" || sg_fail "50 keep-alive HTTP/1.1 requests succeed" "$n"
if command -v h2load >/dev/null; then
  out="$(h2load -n 200 -c 2 -m 10 "$SG_URL/healthz" 2>&1)"
  [[ "$out" == *"200 succeeded, 0 failed"* ]] && sg_pass "h2load: 200 multiplexed HTTP/2 requests succeed" || sg_fail "h2load: 200 multiplexed HTTP/2 requests succeed" "$(echo "$out" | grep requests:)"
fi

sg_stop_server
[ "$SG_EXIT" = "0" ] && sg_pass "SIGTERM exits 0" || sg_fail "SIGTERM exits 0" "exit $SG_EXIT"
sg_summary
