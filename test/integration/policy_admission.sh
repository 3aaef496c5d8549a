#!/usr/bin/env bash
# Operator policies and the CRD schema in the running server: with policies.dir = deploy/policies, AdmissionReviews
# that pass, are denied (one policy, several policies, the schema), warn and audit, and the policy metrics.
source "$(dirname "$0")/lib.sh"
EX="$SG_SOURCE_DIR/deploy/examples"
# A private embedded store seeded with the example Stories, so the reviews pass the Story checks.
mkdir -p "$SG_TMP/manifests" && cp "$EX/stories.yaml" "$SG_TMP/manifests/"
SERVE=(--set "dataDir=$SG_TMP/data" --set "api.manifestsDir=$SG_TMP/manifests")

sg_start_server "${SERVE[@]}" --set "policies.dir=$SG_SOURCE_DIR/deploy/policies" --set schema.enabled=true \
  || { sg_fail "server starts with the example policies" "see above"; sg_summary; exit 1; }
sg_pass "server starts with the example policies"

# pass + audit: the keyed GitHub trigger is allowed; the Story it triggers is recorded
sg_post "$EX/admissionreview-keyed.json" /validate
expect_json_field "keyed trigger is allowed" .response.allowed true
expect_json_field "audit annotation names the Story" '.response.auditAnnotations["pr-review-stories.story"]' \
  "github-pr-review/pr-review-assistant"
expect_json_field "no warning for a pinned version" '.response.warnings // [] | length' 0

# warn: the default trigger has no version pin
sg_post "$EX/admissionreview.json" /validate
expect_json_field "unpinned trigger is allowed" .response.allowed true
expect_json_field "one warning" '.response.warnings | length' 1
expect_json_field "the warning names the policy" '.response.warnings[0]' \
  "pin-story-version: spec.storyRef.version is not set; the Story's current version will run"
expect_json_field "the failure is audited" '.response.auditAnnotations.validation_failure | fromjson | .[0].policy' \
  "pin-story-version"

# deny: a GitHub-fed trigger without a key
jq '.request.object.spec.impulseRef = {"name": "github-webhook"}' "$EX/admissionreview.json" >"$SG_TMP/nokey.json"
sg_post "$SG_TMP/nokey.json" /validate
expect_json_field "GitHub trigger without a key is denied" .response.allowed false
expect_json_field "denial code" .response.status.code 403
expect_json_field "denial message" .response.status.message \
  "StoryTriggerPolicy 'github-keys' denied request: GitHub triggers must set spec.deliveryIdentity.key"

# deny: two policies at once report both
jq '.request.object.spec.impulseRef = {"name": "github-webhook"}
    | .request.object.spec.inputs = ([range(0; 40)] | map({key: "k\(.)", value: .}) | from_entries)' \
  "$EX/admissionreview.json" >"$SG_TMP/two.json"
sg_post "$SG_TMP/two.json" /validate
expect_json_field "every failed Deny rule is in the message" .response.status.message \
  "StoryTriggerPolicy 'github-keys' denied request: GitHub triggers must set spec.deliveryIdentity.key; StoryTriggerPolicy 'inputs-size' denied request: spec.inputs has 40 fields; at most 32 are allowed"

# the schema: a bad impulseRef name is denied like the apiserver would, unknown fields warn
jq '.request.object.spec.impulseRef = {"name": "Bad_Name"} | .request.object.spec.deliveryIdentity.extra = 1' \
  "$EX/admissionreview.json" >"$SG_TMP/schema.json"
sg_post "$SG_TMP/schema.json" /validate
expect_json_field "schema violation is denied" .response.allowed false
expect_json_field "schema denial code" .response.status.code 422
expect_json_field "schema denial message" .response.status.message \
  "StoryTrigger.runs.bubustack.io \"example-story-trigger-7ae6e94cb44073bc\" is invalid: spec.impulseRef.name: Invalid value: \"Bad_Name\": spec.impulseRef.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?\$'"
expect_json_field "unknown field warning" '.response.warnings[0]' 'unknown field "spec.deliveryIdentity.extra"'

# metrics
metrics="$(sg_curl "$SG_URL/metrics" 2>/dev/null)"
for want in 'storygate_policy_evaluations_total{policy="github-keys",validation="0",result="fail"} 2' \
  'storygate_policy_reload_total{result="success"} 1' 'storygate_policy_evaluation_seconds_count ' \
  'storygate_policy_last_reload_success_timestamp_seconds '; do
  if printf '%s\n' "$metrics" | grep -qF -- "$want"; then sg_pass "metric: $want"; else sg_fail "metric: $want" "not in /metrics"; fi
done

sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "server stops cleanly" || sg_fail "server stops cleanly" "exit $SG_EXIT"

# a bad policy directory is refused at start, with the file's problems
mkdir -p "$SG_TMP/badpol"
printf 'apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\nmetadata:\n  name: x\nspec:\n  validations:\n  - expression: "nope =="\n' \
  >"$SG_TMP/badpol/x.yaml"
timeout 10 "$SG_BIN" serve --listen 127.0.0.1:0 --tls-cert "$SG_CERTS/tls.crt" --tls-key "$SG_CERTS/tls.key" \
  "${SERVE[@]}" --set "policies.dir=$SG_TMP/badpol" >/dev/null 2>"$SG_TMP/bad.err"
rc=$?
if [ "$rc" != 0 ] && grep -qF "$SG_TMP/badpol/x.yaml:7:17: spec.validations[0].expression" "$SG_TMP/bad.err"; then
  sg_pass "a broken policy file stops the start with its position"
else
  sg_fail "a broken policy file stops the start with its position" "exit $rc: $(head -c 300 "$SG_TMP/bad.err")"
fi
sg_summary
