#!/usr/bin/env bash
# References at admission time read from the snapshot that store events keep current: with the `grant` policy a
# cross-namespace trigger is denied until a matching ReferenceGrant is created and denied again once it is deleted;
# a Story created or deleted over the API is seen by the next admission; a version pin must match.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_api.sh"

sg_start_server --data-dir "$SG_TMP/data" --set admission.crossNamespacePolicy=grant \
  || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
TA=/apis/runs.bubustack.io/v1alpha1/namespaces/app/storytriggers
G=/apis/policy.bubustack.io/v1alpha1/namespaces/lib/referencegrants

# a trigger in namespace app for Story lib/shared
trigger_json lib shared "" x-1 '{}' >"$SG_TMP/x0.json"
jq -c '.metadata.namespace = "app" | .spec.storyRef.namespace = "lib"' "$SG_TMP/x0.json" >"$SG_TMP/x.json"
xname="$TRIG_NAME"
api POST "$TA" "$SG_TMP/x.json"
[ "$SG_STATUS" = 403 ] && grep -q 'is not permitted (no ReferenceGrant)' <<<"$SG_BODY" \
  && sg_pass "cross-namespace without a grant is denied by policy" || sg_fail "no grant" "$SG_STATUS ${SG_BODY:0:300}"

story_json lib shared 1.0 >"$SG_TMP/shared.json"
api POST /apis/bubustack.io/v1alpha1/namespaces/lib/stories "$SG_TMP/shared.json"
[ "$SG_STATUS" = 201 ] || sg_fail "create story" "$SG_STATUS"
cat >"$SG_TMP/grant.json" <<'JSON'
{"apiVersion":"policy.bubustack.io/v1alpha1","kind":"ReferenceGrant","metadata":{"name":"from-app","namespace":"lib"},
 "spec":{"from":[{"group":"runs.bubustack.io","kind":"StoryTrigger","namespace":"app"}],
         "to":[{"group":"bubustack.io","kind":"Story","name":"shared"}]}}
JSON
api POST "$G" "$SG_TMP/grant.json"
[ "$SG_STATUS" = 201 ] && sg_pass "a ReferenceGrant is created" || sg_fail "create grant" "$SG_STATUS ${SG_BODY:0:300}"
api POST "$TA" "$SG_TMP/x.json"
[ "$SG_STATUS" = 201 ] && sg_pass "the grant admits the cross-namespace trigger at once" || sg_fail "granted" "$SG_STATUS ${SG_BODY:0:300}"
wait_decision app "$xname" && [ "$DECISION" = Created ] && sg_pass "the reconciler agrees (Created)" || sg_fail "granted decision" "$DECISION ${SG_BODY:0:300}"

api DELETE "$G/from-app"
trigger_json lib shared "" x-2 '{}' | jq -c '.metadata.namespace = "app" | .spec.storyRef.namespace = "lib"' >"$SG_TMP/x2.json"
api POST "$TA" "$SG_TMP/x2.json"
[ "$SG_STATUS" = 403 ] && sg_pass "deleting the grant denies again" || sg_fail "grant deleted" "$SG_STATUS ${SG_BODY:0:300}"

# version pins and Story deletion, same namespace
trigger_json lib shared "" v-1 '{}' | jq -c '.spec.storyRef.version = "2.0"' >"$SG_TMP/v.json"
api POST /apis/runs.bubustack.io/v1alpha1/namespaces/lib/storytriggers "$SG_TMP/v.json"
[ "$SG_STATUS" = 403 ] && grep -q "has version '1.0', expected '2.0'" <<<"$SG_BODY" \
  && sg_pass "a version pin that does not match is denied" || sg_fail "version" "$SG_STATUS ${SG_BODY:0:300}"
api DELETE /apis/bubustack.io/v1alpha1/namespaces/lib/stories/shared
trigger_json lib shared "" v-2 '{}' >"$SG_TMP/v2.json"
api POST /apis/runs.bubustack.io/v1alpha1/namespaces/lib/storytriggers "$SG_TMP/v2.json"
[ "$SG_STATUS" = 403 ] && grep -q "referenced story 'lib/shared' not found" <<<"$SG_BODY" \
  && sg_pass "a deleted Story is gone from the snapshot" || sg_fail "story deleted" "$SG_STATUS ${SG_BODY:0:300}"

# the webhook reads the same snapshot
sg_post "$SG_SOURCE_DIR/deploy/examples/admissionreview.json" /validate
[ "$SG_STATUS" = 200 ] && [ "$(jq -r .response.allowed <<<"$SG_BODY")" = false ] \
  && sg_pass "the webhook denies a trigger whose Story is not stored" || sg_fail "webhook deny" "$SG_STATUS ${SG_BODY:0:300}"
story_json default example-story >"$SG_TMP/ex.json"
api POST /apis/bubustack.io/v1alpha1/namespaces/default/stories "$SG_TMP/ex.json"
sg_post "$SG_SOURCE_DIR/deploy/examples/admissionreview.json" /validate
[ "$SG_STATUS" = 200 ] && [ "$(jq -r .response.allowed <<<"$SG_BODY")" = true ] \
  && sg_pass "the webhook allows it once the Story is created over the API" || sg_fail "webhook allow" "$SG_STATUS ${SG_BODY:0:300}"

sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "the server exits 0 on SIGTERM" || sg_fail "clean exit" "exit $SG_EXIT"
sg_summary
