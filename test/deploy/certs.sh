#!/usr/bin/env bash
# certs/gen-certs.sh makes a CA and a P-256 serverAuth certificate that openssl verifies with the expected SANs, is
# idempotent, honours --service/--namespace/--force, and fills caBundle without touching committed files.
source "$(dirname "$0")/lib.sh"
need openssl
need python3

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
gen=certs/gen-certs.sh
out="$tmp/a"

check "gen-certs.sh succeeds into an empty directory" "$gen" "$out"
for f in ca.crt ca.key tls.crt tls.key; do
  check "it writes $f" test -s "$out/$f"
done
check "openssl verify -CAfile ca.crt accepts tls.crt for TLS servers" \
  openssl verify -CAfile "$out/ca.crt" -purpose sslserver "$out/tls.crt"
text="$(openssl x509 -in "$out/tls.crt" -noout -text 2>/dev/null)"
sans="$(openssl x509 -in "$out/tls.crt" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr ',' '\n' | sed 's/^ *//' | sort)"
expected="$(printf '%s\n' DNS:localhost 'IP Address:127.0.0.1' 'IP Address:0:0:0:0:0:0:0:1' DNS:storygate \
  DNS:storygate.storygate-system DNS:storygate.storygate-system.svc DNS:storygate.storygate-system.svc.cluster.local | sort)"
check "SANs are localhost, 127.0.0.1, ::1 and the default Service names" test "$sans" = "$expected"
check "the key is ECDSA P-256" grep -q "NIST CURVE: P-256" <<<"$text"
check "the certificate is for TLS server authentication" grep -q "TLS Web Server Authentication" <<<"$text"
check "the certificate is not a CA" grep -q "CA:FALSE" <<<"$text"
check "the certificate is valid for about a year" sh -c "
  openssl x509 -in '$out/tls.crt' -noout -checkend $((360 * 86400)) >/dev/null &&
  ! openssl x509 -in '$out/tls.crt' -noout -checkend $((370 * 86400)) >/dev/null"
check "the private key matches the certificate" test \
  "$(openssl pkey -in "$out/tls.key" -pubout 2>/dev/null | sha256sum)" = \
  "$(openssl x509 -in "$out/tls.crt" -noout -pubkey 2>/dev/null | sha256sum)"
check "private keys are readable by the owner only" sh -c "
  [ \"\$(stat -c %a '$out/ca.key')\" = 600 ] && [ \"\$(stat -c %a '$out/tls.key')\" = 600 ]"

ca1="$(sha256sum <"$out/ca.crt")"; leaf1="$(sha256sum <"$out/tls.crt")"
check "a second run succeeds" "$gen" "$out"
check "a second run keeps the CA" test "$(sha256sum <"$out/ca.crt")" = "$ca1"
check "a second run keeps a still-valid serving certificate" test "$(sha256sum <"$out/tls.crt")" = "$leaf1"

check "other --service/--namespace reissue the serving certificate" "$gen" "$out" --service hook --namespace team-x
check "... under the same CA" test "$(sha256sum <"$out/ca.crt")" = "$ca1"
check "... with the new Service names" sh -c "
  openssl x509 -in '$out/tls.crt' -noout -ext subjectAltName | grep -q 'DNS:hook.team-x.svc.cluster.local' &&
  ! openssl x509 -in '$out/tls.crt' -noout -ext subjectAltName | grep -q 'DNS:storygate'"
check "... and it still verifies" openssl verify -CAfile "$out/ca.crt" "$out/tls.crt"

rm -f "$out/tls.key"
check "a missing key is remade" sh -c "'$gen' '$out' --service hook --namespace team-x && test -s '$out/tls.key'"
check "... with a certificate that matches it" test \
  "$(openssl pkey -in "$out/tls.key" -pubout 2>/dev/null | sha256sum)" = \
  "$(openssl x509 -in "$out/tls.crt" -noout -pubkey 2>/dev/null | sha256sum)"

check "--force makes a new CA" sh -c "'$gen' '$out' --force && test \"\$(sha256sum <'$out/ca.crt')\" != '$ca1'"
check "... and a serving certificate it verifies" openssl verify -CAfile "$out/ca.crt" "$out/tls.crt"

check "--san adds a subjectAltName" sh -c "
  '$gen' '$tmp/b' --san DNS:host.docker.internal --san IP:10.1.2.3 &&
  openssl x509 -in '$tmp/b/tls.crt' -noout -ext subjectAltName | grep -q 'DNS:host.docker.internal' &&
  openssl x509 -in '$tmp/b/tls.crt' -noout -ext subjectAltName | grep -q 'IP Address:10.1.2.3'"
check "a bad --service is refused" sh -c "! '$gen' '$tmp/c' --service 'Bad_Name' 2>/dev/null"
check "an unknown option is refused" sh -c "! '$gen' '$tmp/c' --bogus 2>/dev/null"

# caBundle rendering
kubectl kustomize deploy/ >"$tmp/bundle.yaml" 2>/dev/null || cat deploy/base/webhook/*.yaml >"$tmp/bundle.yaml"
before="$(sha256sum deploy/base/webhook/validating.yaml deploy/base/webhook/mutating.yaml)"
check "--ca-bundle-into renders copies into OUTDIR" \
  "$gen" "$out" --ca-bundle-into "$tmp/bundle.yaml" deploy/base/webhook/validating.yaml
check "the committed webhook manifests are unchanged" test \
  "$(sha256sum deploy/base/webhook/validating.yaml deploy/base/webhook/mutating.yaml)" = "$before"
py_checks '
import base64, sys, yaml
from pylib import ok, load_all, done
ca = open(sys.argv[1] + "/ca.crt", "rb").read()
for f in (sys.argv[1] + "/bundle.yaml", sys.argv[1] + "/validating.yaml"):
    docs = load_all(f)
    hooks = [w for d in docs if d["kind"].endswith("WebhookConfiguration") for w in d["webhooks"]]
    ok(hooks and all(base64.b64decode(w["clientConfig"]["caBundle"]) == ca for w in hooks),
       "%s: every webhook caBundle is the base64 CA" % f.rsplit("/", 1)[1])
    ok(all(w["clientConfig"]["service"]["name"] == "storygate" for w in hooks), "%s: clientConfig.service kept" % f.rsplit("/", 1)[1])
n = len(load_all(sys.argv[2]))
ok(len(load_all(sys.argv[1] + "/bundle.yaml")) == n, "the rendered bundle keeps all %d objects" % n)
done()
' "$out" "$tmp/bundle.yaml"
check "re-rendering replaces caBundle instead of adding a second one" sh -c "
  '$gen' '$out' --ca-bundle-into '$out/validating.yaml' 2>/dev/null &&
  [ \"\$(grep -c '^ *caBundle:' '$out/validating.yaml')\" = 1 ]"
check "--ca-bundle-into - filters stdin to stdout" sh -c "
  '$gen' '$out' --ca-bundle-into - <deploy/base/webhook/mutating.yaml 2>/dev/null | grep -q '^    caBundle: LS0t'"
# Outside a git checkout there is nothing to protect (and the script would rightly write there): skip.
if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  check "keys are never written where git could commit them" sh -c "
    ! '$gen' deploy/base/webhook 2>/dev/null && [ ! -e deploy/base/webhook/tls.key ] && [ ! -e deploy/base/webhook/ca.key ]"
  check "a repository file is never rewritten in place" sh -c "
    before=\$(sha256sum < deploy/base/webhook/validating.yaml);
    ! '$gen' deploy/base/webhook --ca-bundle-into deploy/base/webhook/validating.yaml 2>/dev/null &&
    [ \"\$(sha256sum < deploy/base/webhook/validating.yaml)\" = \"\$before\" ]"
  check "certs/.gitignore keeps generated files out of git" sh -c "
    ! command -v git >/dev/null || ! git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    { git check-ignore -q certs/tls.key && git check-ignore -q certs/ca.key && git check-ignore -q certs/rendered.yaml &&
      ! git check-ignore -q certs/gen-certs.sh; }"
else
  echo "     (not a git checkout: commit-safety checks skipped)"
fi

summary
