#!/usr/bin/env bash
# The embedded API end to end over TLS with curl: Stories and triggers created over REST, 409 on re-create with the
# original read back, decisions through the reconciler (Created, Reused after delete, Rejected StoryRunConflict),
# watch streams with ADDED/MODIFIED, Status errors, 100 concurrent submissions of one identity (one 201, 99 409s,
# one StoryRun) and 100 unkeyed submissions (100 triggers, 100 StoryRuns).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_api.sh"

mkdir -p "$SG_TMP/manifests"
cat >"$SG_TMP/manifests/stories.yaml" <<'YAML'
apiVersion: bubustack.io/v1alpha1
kind: Story
metadata:
  name: loaded
  namespace: demo
spec:
  version: "2.0"
  steps:
  - name: a
    type: sleep
---
apiVersion: v1
kind: Namespace
metadata:
  name: ignored
YAML
sg_start_server --data-dir "$SG_TMP/data" --set api.manifestsDir="$SG_TMP/manifests" \
  || { sg_fail "server starts in embedded mode" "see above"; sg_summary; exit 1; }
T=/apis/runs.bubustack.io/v1alpha1/namespaces/demo/storytriggers
S=/apis/bubustack.io/v1alpha1/namespaces/demo/stories
R=/apis/runs.bubustack.io/v1alpha1/namespaces/demo/storyruns

# discovery and manifests
api GET /apis/runs.bubustack.io/v1alpha1
[ "$SG_STATUS" = 200 ] && jq -e '.resources[] | select(.name=="storytriggers") | .shortNames == ["trig"]' <<<"$SG_BODY" >/dev/null \
  && sg_pass "discovery lists storytriggers with its short name" || sg_fail "discovery" "$SG_STATUS ${SG_BODY:0:200}"
api GET "$S/loaded"
[ "$SG_STATUS" = 200 ] && [ "$(jq -r .spec.version <<<"$SG_BODY")" = "2.0" ] \
  && sg_pass "a Story from the manifests directory is served" || sg_fail "manifest Story" "$SG_STATUS ${SG_BODY:0:200}"

# Stories over REST
story_json demo s1 >"$SG_TMP/s1.json"
api POST "$S" "$SG_TMP/s1.json"
[ "$SG_STATUS" = 201 ] && [ "$(jq -r .metadata.resourceVersion <<<"$SG_BODY")" != null ] \
  && sg_pass "creating a Story returns 201 with a resourceVersion" || sg_fail "create Story" "$SG_STATUS ${SG_BODY:0:200}"
api POST "$S" "$SG_TMP/s1.json"
[ "$SG_STATUS" = 409 ] && [ "$(jq -r .reason <<<"$SG_BODY")" = AlreadyExists ] \
  && sg_pass "re-creating a Story returns 409 AlreadyExists" || sg_fail "re-create Story" "$SG_STATUS ${SG_BODY:0:200}"
jq -c '.spec.steps = []' "$SG_TMP/s1.json" | jq -c '.metadata.name="bad"' >"$SG_TMP/bad.json"
api POST "$S" "$SG_TMP/bad.json"
[ "$SG_STATUS" = 422 ] && [ "$(jq -r .reason <<<"$SG_BODY")" = Invalid ] \
  && sg_pass "a Story violating its schema is 422 Invalid" || sg_fail "invalid Story" "$SG_STATUS ${SG_BODY:0:300}"
api GET "$S/none"
[ "$SG_STATUS" = 404 ] && [ "$(jq -r .message <<<"$SG_BODY")" = 'stories.bubustack.io "none" not found' ] \
  && sg_pass "a missing object is a 404 Status" || sg_fail "404 Status" "$SG_STATUS ${SG_BODY:0:200}"

# a watch from the current resourceVersion, kept open while triggers are decided
api GET "$T"
rv0="$(jq -r .metadata.resourceVersion <<<"$SG_BODY")"
sg_curl -N --max-time 60 "$SG_URL$T?watch=true&resourceVersion=$rv0" >"$SG_TMP/watch.out" 2>/dev/null &
watch_pid=$!
SG_BG_PIDS+=("$watch_pid")

# one trigger: 201, identical re-create 409 and read back, decision Created
trigger_json demo s1 "" sub-1 '{"a":1}' >"$SG_TMP/t1.json"
t1="$TRIG_NAME"
api POST "$T" "$SG_TMP/t1.json"
[ "$SG_STATUS" = 201 ] && sg_pass "creating a StoryTrigger returns 201" || sg_fail "create trigger" "$SG_STATUS ${SG_BODY:0:300}"
[ "$(jq -r '.spec.deliveryIdentity.mode' <<<"$SG_BODY")" = none ] && [ "$(jq -r '.metadata.labels["runs.bubustack.io/story"]' <<<"$SG_BODY")" = s1 ] \
  && sg_pass "the webhook's mutation ran on create (labels, mode)" || sg_fail "mutation on create" "${SG_BODY:0:300}"
[ "$(jq -r .status.decision <<<"$SG_BODY")" = Pending ] && [ "$(jq -r .status.acceptedAt <<<"$SG_BODY")" != null ] \
  && [ "$(jq -r '.status.conditions[] | select(.type == "Progressing") | .status' <<<"$SG_BODY")" = True ] \
  && sg_pass "the trigger is stored Pending with acceptedAt (spec §8.5, at admission)" \
  || sg_fail "Pending at create" "${SG_BODY:0:400}"
accepted1="$(jq -r .status.acceptedAt <<<"$SG_BODY")"
api POST "$T" "$SG_TMP/t1.json"
[ "$SG_STATUS" = 409 ] && sg_pass "an identical re-create returns 409" || sg_fail "re-create trigger" "$SG_STATUS"
api GET "$T/$t1"
[ "$SG_STATUS" = 200 ] && [ "$(jq -r .spec.deliveryIdentity.submissionId <<<"$SG_BODY")" = sub-1 ] \
  && sg_pass "GET reads the existing trigger back" || sg_fail "GET trigger" "$SG_STATUS"
wait_decision demo "$t1" && [ "$DECISION" = Created ] && [ "$(jq -r .status.storyRunRef.name <<<"$SG_BODY")" = "$TRIG_RUN" ] \
  && sg_pass "the reconciler decides Created with the derived StoryRun" || sg_fail "decision Created" "$DECISION ${SG_BODY:0:300}"
[ "$(jq -r .status.acceptedAt <<<"$SG_BODY")" = "$accepted1" ] && [ "$(jq -r .status.completedAt <<<"$SG_BODY")" != null ] \
  && sg_pass "the decision keeps acceptedAt from admission and adds completedAt" || sg_fail "acceptedAt kept" "${SG_BODY:0:400}"
api GET "$T/$t1/status"
[ "$SG_STATUS" = 200 ] && [ "$(jq -r .status.decision <<<"$SG_BODY")" = Created ] \
  && sg_pass "GET .../status serves the object" || sg_fail "status subresource" "$SG_STATUS"

# admission denials come back as the apiserver would report them
jq -c '.metadata.name = "wrong-name"' "$SG_TMP/t1.json" >"$SG_TMP/wrong.json"
api POST "$T" "$SG_TMP/wrong.json"
[ "$SG_STATUS" = 403 ] && grep -q 'denied the request: metadata.name must be' <<<"$SG_BODY" \
  && sg_pass "a trigger with a wrong name is denied with the webhook message" || sg_fail "denied trigger" "$SG_STATUS ${SG_BODY:0:300}"
trigger_json demo missing-story "" sub-x '{}' >"$SG_TMP/missing.json"
api POST "$T" "$SG_TMP/missing.json"
[ "$SG_STATUS" = 403 ] && grep -q "referenced story 'demo/missing-story' not found" <<<"$SG_BODY" \
  && sg_pass "a trigger for a missing Story is denied from the snapshot" || sg_fail "missing story" "$SG_STATUS ${SG_BODY:0:300}"
printf '{"apiVersion":"runs.bubustack.io/v1alpha1","kind":"StoryTrigger","metadata":{"name":"x","namespace":"demo"},"spec":{}}' >"$SG_TMP/noid.json"
api POST "$T" "$SG_TMP/noid.json"
[ "$SG_STATUS" = 422 ] && sg_pass "a trigger without spec.deliveryIdentity is 422" || sg_fail "schema on trigger" "$SG_STATUS ${SG_BODY:0:300}"

trigger_json demo s1 "" sub-warn '{}' >"$SG_TMP/w0.json"
jq -c '.spec.extra = 1' "$SG_TMP/w0.json" >"$SG_TMP/warn.json"
hdrs="$(sg_curl -i -H 'Content-Type: application/json' --data-binary "@$SG_TMP/warn.json" "$SG_URL$T" 2>/dev/null | tr -d '\r')"
grep -qi "^warning: 299 - \"unknown field 'spec.extra'\"" <<<"$hdrs" \
  && sg_pass "admission warnings come back as Warning headers" || sg_fail "warning header" "$(head -12 <<<"$hdrs")"

# 100 concurrent submissions of one identity
trigger_json demo s1 key-100 key-100 '{"n":100}' >"$SG_TMP/k.json"
k="$TRIG_NAME"
krun="$TRIG_RUN"
seq 100 | xargs -P 100 -I{} curl -sS --cacert "$SG_CA" --max-time 20 -o /dev/null -w '%{http_code}\n' \
  -H 'Content-Type: application/json' --data-binary "@$SG_TMP/k.json" "$SG_URL$T" >"$SG_TMP/codes" 2>/dev/null
c201="$(grep -c '^201$' "$SG_TMP/codes")"
c409="$(grep -c '^409$' "$SG_TMP/codes")"
[ "$c201" = 1 ] && [ "$c409" = 99 ] && sg_pass "100 concurrent submissions: one 201, 99 409s" \
  || sg_fail "concurrent submissions" "201=$c201 409=$c409 ($(sort "$SG_TMP/codes" | uniq -c | tr '\n' ' '))"
wait_decision demo "$k" && [ "$DECISION" = Created ] && sg_pass "the keyed trigger is Created" || sg_fail "keyed decision" "$DECISION"
n="$(count_items "$R?fieldSelector=metadata.name%3D$krun")"
[ "$n" = 1 ] && sg_pass "exactly one StoryRun for the identity" || sg_fail "one StoryRun" "$n"

# delete it and submit again: Reused, same StoryRun
api DELETE "$T/$k"
[ "$SG_STATUS" = 200 ] && sg_pass "DELETE returns 200" || sg_fail "delete" "$SG_STATUS ${SG_BODY:0:200}"
api GET "$T/$k"
[ "$SG_STATUS" = 404 ] && sg_pass "the deleted trigger is gone" || sg_fail "deleted" "$SG_STATUS"
api POST "$T" "$SG_TMP/k.json"
[ "$SG_STATUS" = 201 ] && sg_pass "re-submitting after delete returns 201" || sg_fail "resubmit" "$SG_STATUS"
wait_decision demo "$k" && [ "$DECISION" = Reused ] && [ "$(jq -r .status.storyRunRef.name <<<"$SG_BODY")" = "$krun" ] \
  && sg_pass "the re-submission reuses the same StoryRun" || sg_fail "Reused" "$DECISION ${SG_BODY:0:300}"

# same key, different inputs: Rejected StoryRunConflict
api DELETE "$T/$k"
trigger_json demo s1 key-100 key-100 '{"n":101}' >"$SG_TMP/k2.json"
api POST "$T" "$SG_TMP/k2.json"
[ "$SG_STATUS" = 201 ] || sg_fail "submit different inputs" "$SG_STATUS ${SG_BODY:0:300}"
wait_decision demo "$k" && [ "$DECISION" = Rejected ] && [ "$(jq -r .status.reason <<<"$SG_BODY")" = StoryRunConflict ] \
  && sg_pass "different inputs under the same key are Rejected StoryRunConflict" || sg_fail "conflict" "$DECISION ${SG_BODY:0:300}"

# 100 unkeyed submissions: 100 triggers, 100 StoryRuns
mkdir -p "$SG_TMP/none"
for i in $(seq 1 100); do
  printf '{"id":"%s","ns":"batch","story":"s1","key":"","sub":"batch-%s","inputs":"{\\"i\\":%s}"}\n' "$i" "$i" "$i"
done | make_triggers "$SG_TMP/none"
story_json batch s1 >"$SG_TMP/sb.json"
api POST /apis/bubustack.io/v1alpha1/namespaces/batch/stories "$SG_TMP/sb.json"
seq 1 100 | xargs -P 50 -I{} curl -sS --cacert "$SG_CA" --max-time 20 -o /dev/null -w '%{http_code}\n' \
  -H 'Content-Type: application/json' --data-binary "@$SG_TMP/none/{}.json" \
  "$SG_URL/apis/runs.bubustack.io/v1alpha1/namespaces/batch/storytriggers" >"$SG_TMP/codes2" 2>/dev/null
[ "$(grep -c '^201$' "$SG_TMP/codes2")" = 100 ] && sg_pass "100 unkeyed submissions are all created" \
  || sg_fail "unkeyed creates" "$(sort "$SG_TMP/codes2" | uniq -c | tr '\n' ' ')"
for i in $(seq 1 100); do
  n="$(count_items /apis/runs.bubustack.io/v1alpha1/namespaces/batch/storyruns)"
  [ "$n" = 100 ] && break
  sleep 0.2
done
[ "$n" = 100 ] && sg_pass "100 StoryRuns for 100 unkeyed triggers" || sg_fail "unkeyed StoryRuns" "$n"
n="$(count_items "/apis/runs.bubustack.io/v1alpha1/storytriggers?labelSelector=runs.bubustack.io%2Fstory%3Ds1")"
[ "$n" -ge 101 ] && sg_pass "a cluster-wide list with a label selector" || sg_fail "label selector" "$n"

# the watch saw the first trigger added and then decided
sleep 0.5
kill "$watch_pid" 2>/dev/null
jq -e -s --arg n "$t1" 'map(select(.object.metadata.name == $n)) | (map(.type) | index("ADDED")) != null and
  (map(select(.type == "MODIFIED" and .object.status.decision == "Created")) | length) > 0' "$SG_TMP/watch.out" >/dev/null \
  && sg_pass "the watch stream shows ADDED then MODIFIED with the decision" \
  || sg_fail "watch stream" "$(head -c 300 "$SG_TMP/watch.out")"
jq -e -s 'map(.object.metadata.resourceVersion | tonumber) | . == sort' "$SG_TMP/watch.out" >/dev/null \
  && sg_pass "watch events come in resourceVersion order" || sg_fail "watch order" "unordered"
api GET "$T?watch=true&resourceVersion=1&timeoutSeconds=1"
[ "$SG_STATUS" = 200 ] && [ "$(head -1 <<<"$SG_BODY" | jq -r .type)" = ADDED ] \
  && sg_pass "a watch from an old resourceVersion replays and ends at timeoutSeconds" || sg_fail "watch replay" "$SG_STATUS ${SG_BODY:0:200}"
api GET "$T?labelSelector=a%3D%3D%3Db"
[ "$SG_STATUS" = 400 ] && sg_pass "a malformed selector is 400" || sg_fail "bad selector" "$SG_STATUS"
api PUT "$T/$t1"
[ "$SG_STATUS" = 405 ] && sg_pass "unsupported methods are 405" || sg_fail "405" "$SG_STATUS"

metrics="$(sg_curl "$SG_URL/metrics" 2>/dev/null)"
grep -Eq '^storygate_api_requests_total\{method="POST",code="409"\} ([0-9]{3,}|99)' <<<"$metrics" \
  && grep -q '^storygate_api_watches ' <<<"$metrics" \
  && sg_pass "API requests and watches are counted in /metrics" || sg_fail "api metrics" "$(grep storygate_api <<<"$metrics")"

sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "SIGTERM stops the server cleanly" || sg_fail "clean stop" "exit $SG_EXIT"
sg_summary
