#!/usr/bin/env bash
# Client authentication: with tls.clientCAFile the HTTPS listener requires a client certificate from that CA, and with
# tls.clientAllowedNames one whose subject CN or a SAN DNS name is listed. Every path on the HTTPS port needs it (the
# check is in the handshake); the plain metrics listener serves probes and /metrics without it. Replacing the CA file
# is picked up like a certificate rotation.
source "$(dirname "$0")/lib.sh"
sg_certs "$SG_CERTS" || { sg_fail "certificates" "gen-certs.sh failed"; sg_summary; exit 1; }
C="$SG_TMP/clients"
mkdir -p "$C"

# mkca NAME: a throwaway CA in $C/NAME.crt/.key.
mkca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/$1.key" -out "$C/$1.crt" \
    -subj "/CN=$1" -days 2 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign >/dev/null 2>&1
}
# mkclient NAME CA_CRT CA_KEY CN [SAN]: a client certificate (clientAuth) in $C/NAME.crt/.key.
mkclient() {
  local ext="$C/$1.ext"
  printf 'extendedKeyUsage=clientAuth\n' >"$ext"
  [ -n "${5:-}" ] && printf 'subjectAltName=%s\n' "$5" >>"$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/$1.key" -out "$C/$1.csr" \
    -subj "/CN=$4" >/dev/null 2>&1 &&
  openssl x509 -req -in "$C/$1.csr" -CA "$2" -CAkey "$3" -set_serial "0x$(openssl rand -hex 8)" -days 2 \
    -extfile "$ext" -out "$C/$1.crt" >/dev/null 2>&1
}
mkca other-ca
mkclient apiserver "$SG_CERTS/ca.crt" "$SG_CERTS/ca.key" kube-apiserver
mkclient by-san "$SG_CERTS/ca.crt" "$SG_CERTS/ca.key" someone DNS:webhook.client.example
mkclient intruder "$SG_CERTS/ca.crt" "$SG_CERTS/ca.key" intruder DNS:intruder.example
mkclient foreign "$C/other-ca.crt" "$C/other-ca.key" kube-apiserver
[ -s "$C/apiserver.crt" ] && [ -s "$C/foreign.crt" ] && sg_pass "made client certificates" || { sg_fail "made client certificates" "openssl failed"; sg_summary; exit 1; }

cp "$SG_CERTS/ca.crt" "$SG_TMP/client-ca.crt"
SG_CURL_OPTS=(--cert "$C/apiserver.crt" --key "$C/apiserver.key")
printf 'tls:\n  clientCAFile: %s\n  clientAllowedNames:\n    - kube-apiserver\n    - webhook.client.example\n' \
  "$SG_TMP/client-ca.crt" >"$SG_TMP/mtls.yaml"
sg_start_server --config "$SG_TMP/mtls.yaml" --metrics-listen 127.0.0.1:0 --data-dir "$SG_TMP/data" \
  || { sg_fail "server starts with client authentication" "see above"; sg_summary; exit 1; }
sg_pass "server starts with client authentication"

# code NAME [PATH]: the HTTP status (000 when the handshake fails) for a request made with client certificate NAME.
code() {
  local args=()
  [ "$1" != "none" ] && args=(--cert "$C/$1.crt" --key "$C/$1.key")
  curl -sS --cacert "$SG_CA" --max-time 5 -o /dev/null -w '%{http_code}' "${args[@]+"${args[@]}"}" "$SG_URL${2:-/readyz}" 2>/dev/null
}
[ "$(code apiserver)" = "200" ] && sg_pass "a certificate with an allowed CN is accepted" || sg_fail "a certificate with an allowed CN is accepted" "$(code apiserver)"
[ "$(code by-san)" = "200" ] && sg_pass "a certificate with an allowed SAN DNS name is accepted" || sg_fail "a certificate with an allowed SAN DNS name is accepted" "$(code by-san)"
[ "$(code none)" = "000" ] && sg_pass "no client certificate fails the handshake" || sg_fail "no client certificate fails the handshake" "$(code none)"
[ "$(code intruder)" = "000" ] && sg_pass "a certificate from the CA with another name is refused" || sg_fail "a certificate from the CA with another name is refused" "$(code intruder)"
[ "$(code foreign)" = "000" ] && sg_pass "a certificate from another CA is refused" || sg_fail "a certificate from another CA is refused" "$(code foreign)"
for p in /healthz /livez /metrics; do
  [ "$(code none "$p")" = "000" ] && sg_pass "$p on the HTTPS port needs the client certificate too" || sg_fail "$p on the HTTPS port needs the client certificate too" "$(code none "$p")"
done
cat >"$SG_TMP/delete.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-mtls","kind":{"group":"runs.bubustack.io","version":"v1alpha1","kind":"StoryTrigger"},"operation":"DELETE","name":"t","namespace":"ns","object":null}}
JSON
sg_post "$SG_TMP/delete.json" /validate
[ "$SG_STATUS" = "200" ] && sg_pass "the webhook answers an authenticated client" || sg_fail "the webhook answers an authenticated client" "status $SG_STATUS"
for p in /readyz /metrics; do
  s="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SG_METRICS_PORT$p")"
  [ "$s" = "200" ] && sg_pass "$p on metrics.listen needs no client certificate" || sg_fail "$p on metrics.listen needs no client certificate" "status $s"
done

# Rotating the client CA: the file is replaced; within seconds the new CA's clients get in and the old CA's do not.
cp "$C/other-ca.crt" "$SG_TMP/client-ca.crt.new" && mv "$SG_TMP/client-ca.crt.new" "$SG_TMP/client-ca.crt"
for i in $(seq 1 50); do [ "$(code foreign)" = "200" ] && break; sleep 0.1; done
[ "$(code foreign)" = "200" ] && sg_pass "a replaced client CA is picked up" || sg_fail "a replaced client CA is picked up" "$(code foreign)"
[ "$(code apiserver)" = "000" ] && sg_pass "clients of the previous CA are refused after the rotation" || sg_fail "clients of the previous CA are refused after the rotation" "$(code apiserver)"
sg_stop_server
[ "$SG_EXIT" = "0" ] && sg_pass "SIGTERM exits 0" || sg_fail "SIGTERM exits 0" "exit $SG_EXIT"

# Without tls.clientAllowedNames any certificate from the CA will do.
cp "$SG_CERTS/ca.crt" "$SG_TMP/client-ca.crt"
SG_CURL_OPTS=(--cert "$C/intruder.crt" --key "$C/intruder.key")
sg_start_server --set tls.clientCAFile="$SG_TMP/client-ca.crt" --data-dir "$SG_TMP/data" || { sg_fail "server restarts" "see above"; sg_summary; exit 1; }
[ "$(code intruder)" = "200" ] && sg_pass "without allowed names any certificate from the CA is accepted" || sg_fail "without allowed names any certificate from the CA is accepted" "$(code intruder)"
[ "$(code none)" = "000" ] && sg_pass "without allowed names a certificate is still required" || sg_fail "without allowed names a certificate is still required" "$(code none)"
sg_stop_server
sg_summary
