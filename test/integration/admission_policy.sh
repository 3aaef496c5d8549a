#!/usr/bin/env bash
# Rules that depend on configuration and on the Story/ReferenceGrant snapshot, against the real server with the
# embedded store seeded from manifests: the cross-namespace policy (deny, allow, grant with ReferenceGrants), the
# Story lookup and version pin, and v1beta1 reviews answered in v1beta1.
source "$(dirname "$0")/lib.sh"
BASE="$SG_SOURCE_DIR/test/admission/fixtures/create.json"
SERVE=(--set "dataDir=$SG_TMP/data" --set "api.manifestsDir=$SG_SOURCE_DIR/test/integration/manifests-admission")

# trigger FILE STORY_NS STORY_NAME [JQ]: the fixture pointed at STORY_NS/STORY_NAME with its derived name.
trigger() {
  local name
  name="$(jq -nc --arg ns "$2" --arg s "$3" \
    '{storyNamespace:$ns, storyName:$s, key:"customer-42", submissionId:"submission-001", inputsRaw:"{}"}' |
    "$SG_BIN" identity | jq -r .storyTriggerName)"
  jq -c --arg ns "$2" --arg s "$3" --arg n "$name" \
    ".request.object.spec.storyRef = {name: \$s, namespace: \$ns} | .request.object.metadata.name = \$n | ${4:-.}" \
    "$BASE" >"$SG_TMP/$1.json"
}
trigger other "other" triggered-story
trigger third "third" triggered-story
trigger missing default no-such-story
trigger pinned default triggered-story '.request.object.spec.storyRef.version = " v2 "'

sg_start_server "${SERVE[@]}" || { sg_fail "server starts (deny)" "see above"; sg_summary; exit 1; }
sg_post "$BASE" /validate
expect_json_field "Story from the manifests is found" '.response.allowed' true
sg_post "$SG_TMP/other.json" /validate
expect_json_field "default policy is deny" '.response.status.message' "cross-namespace StoryRef references are not allowed"
sg_post "$SG_TMP/missing.json" /validate
expect_json_field "missing Story" '[.response.status.code, .response.status.message] | @json' \
  '[403,"referenced story '"'"'default/no-such-story'"'"' not found"]'
sg_post "$SG_TMP/pinned.json" /validate
expect_json_field "version pin" '.response.status.message' \
  "referenced story 'default/triggered-story' has version 'v1', expected 'v2'"
jq -c '.apiVersion = "admission.k8s.io/v1beta1"' "$BASE" >"$SG_TMP/beta.json"
sg_post "$SG_TMP/beta.json" /validate
expect_json_field "v1beta1 review is answered in v1beta1" '[.apiVersion, .response.allowed] | @json' \
  '["admission.k8s.io/v1beta1",true]'
sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "server stops cleanly" || sg_fail "server stops cleanly" "exit $SG_EXIT"

sg_start_server "${SERVE[@]}" --set admission.crossNamespacePolicy=allow || { sg_fail "server starts (allow)" "see above"; sg_summary; exit 1; }
sg_post "$SG_TMP/other.json" /validate
expect_json_field "allow: cross-namespace reference is allowed" '.response.allowed' true
sg_post "$SG_TMP/third.json" /validate
expect_json_field "allow: any namespace" '.response.allowed' true
sg_stop_server

sg_start_server "${SERVE[@]}" --set admission.crossNamespacePolicy=grant || { sg_fail "server starts (grant)" "see above"; sg_summary; exit 1; }
sg_post "$SG_TMP/other.json" /validate
expect_json_field "grant: a matching ReferenceGrant allows" '.response.allowed' true
sg_post "$SG_TMP/third.json" /validate
expect_json_field "grant: no ReferenceGrant in the target namespace" '[.response.status.code, .response.status.message] | @json' \
  '[403,"cross-namespace StoryRef reference to third/triggered-story is not permitted (no ReferenceGrant)"]'
sg_post "$BASE" /validate
expect_json_field "grant: same-namespace reference needs no grant" '.response.allowed' true
sg_stop_server
sg_summary
