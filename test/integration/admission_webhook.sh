#!/usr/bin/env bash
# Admission over real TLS: AdmissionReviews posted with curl over HTTP/1.1 and HTTP/2 to /validate and /mutate (and
# the controller-runtime paths), the denial messages of spec §3.3, the 400/413 transport catalogue, and the webhook
# metrics counting exactly what was sent.
source "$(dirname "$0")/lib.sh"
FIX="$SG_SOURCE_DIR/test/admission/fixtures"
BASE="$FIX/create.json"

# The embedded store (private data dir) holds the Stories the fixtures reference.
SERVE=(--set "dataDir=$SG_TMP/data" --set "api.manifestsDir=$SG_SOURCE_DIR/test/integration/manifests-admission")
sg_start_server "${SERVE[@]}" || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
sg_pass "server starts"

V200=0 V400=0 M200=0 # requests per webhook and status, checked against /metrics at the end

# review NAME JQ_FILTER: writes the fixture transformed by JQ_FILTER to $SG_TMP/NAME.json and prints the path.
review() {
  jq -c "$2" "$BASE" >"$SG_TMP/$1.json" || { echo "jq failed for $1" >&2; return 1; }
  printf '%s' "$SG_TMP/$1.json"
}

# post PROTO FILE PATH [CONTENT_TYPE]: like sg_post with --http1.1 or --http2; sets SG_STATUS, SG_BODY, SG_PROTO.
post() {
  local out="$SG_TMP/post.out" res
  res="$(sg_curl "--$1" -o "$out" -w '%{http_code} %{http_version}' -H "Content-Type: ${4:-application/json}" \
    --data-binary "@$2" "$SG_URL$3" 2>/dev/null)"
  SG_STATUS="${res%% *}"
  SG_PROTO="${res##* }"
  SG_BODY="$(cat "$out" 2>/dev/null)"
}

# deny NAME FILE CODE MESSAGE [REASON]: both protocols; the verdict must be a denial with that code and message.
deny() {
  local name="$1" file="$2" code="$3" msg="$4" reason="${5:-}" proto
  for proto in http1.1 http2; do
    post "$proto" "$file" /validate
    V200=$((V200 + 1))
    expect_json_field "$name ($proto)" '[.response.allowed, .response.status.code, .response.status.message] | @json' \
      "$(jq -cnr --argjson c "$code" --arg m "$msg" '[false, $c, $m] | @json')"
    if [ -n "$reason" ]; then
      expect_json_field "$name ($proto): audit reason" '.response.auditAnnotations.reason' "$reason"
    fi
  done
}

# ---- allowed, both protocols, both paths ----
for proto in http1.1 http2; do
  post "$proto" "$BASE" /validate
  V200=$((V200 + 1))
  want_proto=$([ "$proto" = http2 ] && echo 2 || echo 1.1)
  [ "$SG_PROTO" = "$want_proto" ] && sg_pass "spoke $proto" || sg_fail "spoke $proto" "got HTTP/$SG_PROTO"
  [ "$SG_STATUS" = 200 ] && sg_pass "valid trigger: HTTP 200 ($proto)" || sg_fail "valid trigger: HTTP 200 ($proto)" "$SG_STATUS"
  expect_json_field "valid trigger allowed ($proto)" '.response.allowed' true
  expect_json_field "uid echoed ($proto)" '.response.uid' 705ab4f5-6393-11e8-b7cc-42010a800002
  expect_json_field "allowed status ($proto)" '.response.status | @json' '{"metadata":{},"code":200}'
  expect_json_field "answered as admission.k8s.io/v1 ($proto)" '.apiVersion' admission.k8s.io/v1
done
post http1.1 "$BASE" /validate-runs-bubustack-io-v1alpha1-storytrigger
expect_json_field "controller-runtime validate path" '.response.allowed' true
post http1.1 "$FIX/bench-review.json" /validate
V200=$((V200 + 1))
expect_json_field "benchmark review is allowed" '.response.allowed' true

# ---- denials with the exact messages of §3.3 ----
deny "blank storyRef.name" "$(review noname '.request.object.spec.storyRef.name = " "')" 403 \
  "spec.storyRef.name is required" story_ref_name_required
deny "missing submissionId" "$(review nosub 'del(.request.object.spec.deliveryIdentity.submissionId)')" 403 \
  "spec.deliveryIdentity.submissionId is required"
deny "key in mode none" "$(review none '.request.object.spec.deliveryIdentity.mode = "none"')" 403 \
  'spec.deliveryIdentity.key must be empty when spec.deliveryIdentity.mode="none"'
deny "inputHash mismatch" "$(review hash '.request.object.spec.inputs.payload = "tampered"')" 403 \
  "spec.deliveryIdentity.inputHash does not match spec.inputs" input_hash_mismatch
deny "wrong name" "$(review name '.request.object.metadata.name = "mine"')" 403 \
  'metadata.name must be "triggered-story-trigger-0d8ced9fd86c781d" for StoryTrigger (got "mine")' name_mismatch
deny "cross-namespace under the default deny policy" "$(review xns '.request.object.spec.storyRef.namespace = "other" | .request.object.metadata.name = "triggered-story-trigger-29c192a79d337954"')" \
  403 "cross-namespace StoryRef references are not allowed"
deny "malformed key" "$(review badkey '.request.object.spec.deliveryIdentity.key = 42')" 400 \
  "request.object.spec.deliveryIdentity.key: expected string, got number"
deny "unknown operation" "$(review op '.request.operation = "PATCH"')" 400 'unknown operation "PATCH"'
deny "spec change on UPDATE" \
  "$(review upd '.request.operation = "UPDATE" | .request.oldObject = .request.object | .request.object.spec.deliveryIdentity.key = "k2"')" \
  403 "spec is immutable for StoryTrigger; create a new StoryTrigger for updated trigger requests" spec_immutable
post http2 "$(review meta '.request.operation = "UPDATE" | .request.oldObject = .request.object | .request.object.metadata.labels = {"a":"b"}')" /validate
V200=$((V200 + 1))
expect_json_field "metadata-only UPDATE is allowed" '.response.allowed' true
post http1.1 "$(review del '.request.operation = "DELETE" | .request.oldObject = .request.object | .request.object = null')" /validate
V200=$((V200 + 1))
expect_json_field "DELETE is allowed" '.response.allowed' true
post http1.1 "$(review other '.request.kind = {"group":"","version":"v1","kind":"ConfigMap"} | .request.resource = {"group":"","version":"v1","resource":"configmaps"}')" /validate
V200=$((V200 + 1))
expect_json_field "other kinds are allowed untouched" '.response.allowed' true

# ---- mutate ----
for proto in http1.1 http2; do
  post "$proto" "$(review mut 'del(.request.object.spec.deliveryIdentity.inputHash)')" /mutate
  M200=$((M200 + 1))
  expect_json_field "mutate answers JSONPatch ($proto)" '.response.patchType' JSONPatch
  patch="$(printf '%s' "$SG_BODY" | jq -r .response.patch | base64 -d 2>/dev/null)"
  want='[{"op":"add","path":"/spec/deliveryIdentity/inputHash","value":"ef397221056b60ec7cf2d8ebb3cced1cbf98ed13d6dbd0c334b5bb854b682ed6"},{"op":"add","path":"/metadata/labels","value":{"runs.bubustack.io/story":"triggered-story","runs.bubustack.io/identity-hash":"0d8ced9fd86c781d"}}]'
  [ "$(printf '%s' "$patch" | jq -c .)" = "$want" ] && sg_pass "mutate fills inputHash and labels ($proto)" \
    || sg_fail "mutate fills inputHash and labels ($proto)" "$patch"
done
post http1.1 "$(review mut2 '.request.object.metadata.labels = {"runs.bubustack.io/story":"s","runs.bubustack.io/identity-hash":"h"}')" /mutate
M200=$((M200 + 1))
expect_json_field "nothing to fill: no patch" '[.response.allowed, .response.patch] | @json' '[true,null]'
post http1.1 "$BASE" /mutate-runs-bubustack-io-v1alpha1-storytrigger
expect_json_field "controller-runtime mutate path" '.response.patchType' JSONPatch

# ---- transport catalogue ----
: >"$SG_TMP/empty"
post http1.1 "$SG_TMP/empty" /validate
V400=$((V400 + 1))
[ "$SG_STATUS" = 400 ] && sg_pass "empty body: HTTP 400" || sg_fail "empty body: HTTP 400" "$SG_STATUS"
expect_json_field "empty body message" '.response.status | [.code, .message] | @json' '[400,"request body is empty"]'
post http2 "$BASE" /validate text/plain
V400=$((V400 + 1))
[ "$SG_STATUS" = 400 ] && sg_pass "wrong content type: HTTP 400" || sg_fail "wrong content type: HTTP 400" "$SG_STATUS"
expect_json_field "wrong content type message" '.response.status.message' "contentType=text/plain, expected application/json"
printf 'hello' >"$SG_TMP/notjson"
post http1.1 "$SG_TMP/notjson" /validate
V400=$((V400 + 1))
expect_json_field "not JSON" '[.response.status.code, (.response.status.message | startswith("invalid JSON at line 1, column 1"))] | @json' '[400,true]'
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"\xff"}}' >"$SG_TMP/utf8"
post http1.1 "$SG_TMP/utf8" /validate
V400=$((V400 + 1))
expect_json_field "invalid UTF-8 names its position" '.response.status.message' "invalid JSON at line 1, column 80: invalid UTF-8 in string"
printf '{"apiVersion":"admission.k8s.io/v1","kind":"Review","request":{}}' >"$SG_TMP/kind"
post http2 "$SG_TMP/kind" /validate
V400=$((V400 + 1))
expect_json_field "not an AdmissionReview" '.response.status.message' 'kind: expected "AdmissionReview", got "Review"'
head -c 7340032 /dev/zero | tr '\0' ' ' >"$SG_TMP/big"
post http1.1 "$SG_TMP/big" /validate
case "$SG_STATUS" in 200) V200=$((V200 + 1)) ;; 413) ;; esac
expect_json_field "7 MiB body is too large" '.response.status | [.code, .message] | @json' \
  '[413,"request entity is too large; limit is 7340032 bytes"]'
post http1.1 "$SG_TMP/empty" /mutate
[ "$SG_STATUS" = 400 ] && sg_pass "mutate: empty body is HTTP 400" || sg_fail "mutate: empty body is HTTP 400" "$SG_STATUS"

# ---- metrics count what was sent ----
metrics="$(sg_curl "$SG_URL/metrics")"
metric() { printf '%s\n' "$metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
check_metric() {
  local got
  got="$(metric "$1")"
  [ "${got%.0}" = "$2" ] && sg_pass "metric $1 = $2" || sg_fail "metric $1" "got '${got}', want $2"
}
check_metric 'controller_runtime_webhook_requests_total{webhook="/validate",code="200"}' "$V200"
check_metric 'controller_runtime_webhook_requests_total{webhook="/validate",code="400"}' "$V400"
check_metric 'controller_runtime_webhook_requests_total{webhook="/mutate",code="200"}' "$M200"
check_metric 'storygate_admission_requests_total{webhook="/validate",operation="CREATE",allowed="false",reason="story_ref_name_required"}' 2
check_metric 'storygate_admission_requests_total{webhook="/validate",operation="UPDATE",allowed="false",reason="spec_immutable"}' 2
check_metric 'storygate_admission_requests_total{webhook="/validate",operation="CREATE",allowed="false",reason="malformed"}' 2

sg_stop_server
sg_summary
