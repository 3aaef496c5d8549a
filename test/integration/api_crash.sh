#!/usr/bin/env bash
# Durability of the embedded API: a storm of submissions (keyed identities sent several times each, and unkeyed
# ones), kill -9 in the middle, restart on the same data directory. Every submission that got 201 must exist and be
# decided exactly once, StoryRuns must equal the distinct identities, and a watch resumes from a resourceVersion
# seen before the crash.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_api.sh"

DATA="$SG_TMP/data"
sg_start_server --data-dir "$DATA" || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
T=/apis/runs.bubustack.io/v1alpha1/namespaces/storm/storytriggers
R=/apis/runs.bubustack.io/v1alpha1/namespaces/storm/storyruns
story_json storm s >"$SG_TMP/s.json"
api POST /apis/bubustack.io/v1alpha1/namespaces/storm/stories "$SG_TMP/s.json"
[ "$SG_STATUS" = 201 ] || { sg_fail "create story" "$SG_STATUS ${SG_BODY:0:200}"; sg_summary; exit 1; }
rv_before="$SG_BODY"
rv_before="$(jq -r .metadata.resourceVersion <<<"$rv_before")"

mkdir -p "$SG_TMP/docs"
{
  for k in $(seq 1 40); do
    printf '{"id":"key-%s","ns":"storm","story":"s","key":"key-%s","sub":"key-%s","inputs":"{\\"k\\":%s}"}\n' "$k" "$k" "$k" "$k"
  done
  for u in $(seq 1 150); do
    printf '{"id":"free-%s","ns":"storm","story":"s","key":"","sub":"free-%s","inputs":"{\\"u\\":%s}"}\n' "$u" "$u" "$u"
  done
} | make_triggers "$SG_TMP/docs"
for k in $(seq 1 40); do for r in 1 2 3 4 5; do echo "key-$k"; done; done >"$SG_TMP/plan"
for u in $(seq 1 150); do echo "free-$u"; done >>"$SG_TMP/plan"
shuf "$SG_TMP/plan" -o "$SG_TMP/plan" 2>/dev/null || true

# Each line of results: HTTP code and the document id (000 = the connection died with the server).
( xargs -P 24 -I{} sh -c 'c=$(curl -sS --cacert "$0" --max-time 10 -o /dev/null -w "%{http_code}" \
    -H "Content-Type: application/json" --data-binary "@$1/docs/{}.json" "$2" 2>/dev/null); echo "$c {}"' \
    "$SG_CA" "$SG_TMP" "$SG_URL$T" <"$SG_TMP/plan" >"$SG_TMP/results" ) &
storm=$!
for i in $(seq 1 200); do
  [ "$(grep -c '^201 ' "$SG_TMP/results" 2>/dev/null)" -ge 60 ] && break
  sleep 0.02
done
kill -KILL "$SG_PID"
wait "$SG_PID" 2>/dev/null
SG_PID=""
wait "$storm" 2>/dev/null
created="$(grep -c '^201 ' "$SG_TMP/results")"
[ "$created" -gt 0 ] && sg_pass "the storm got $created creations before kill -9" || sg_fail "storm" "no 201 at all"

sg_start_server --data-dir "$DATA" || { sg_fail "restart on the same data" "see above"; sg_summary; exit 1; }
sg_pass "the server restarts on the crashed data directory"

missing=0
for id in $(grep '^201 ' "$SG_TMP/results" | cut -d' ' -f2 | sort -u); do
  name="$(jq -r .metadata.name "$SG_TMP/docs/$id.json")"
  api GET "$T/$name"
  [ "$SG_STATUS" = 200 ] || missing=$((missing + 1))
done
[ "$missing" = 0 ] && sg_pass "every submission answered 201 exists after the crash" || sg_fail "lost creations" "$missing missing"

# all triggers decided (the reconciler resumes undecided ones), each once
for i in $(seq 1 150); do
  api GET "$T"
  pending="$(jq '[.items[] | select((.status.decision // "") as $d | ($d != "Created" and $d != "Reused"))] | length' <<<"$SG_BODY")"
  [ "$pending" = 0 ] && break
  sleep 0.2
done
total="$(jq '.items | length' <<<"$SG_BODY")"
[ "$pending" = 0 ] && sg_pass "all $total triggers are decided after restart" || sg_fail "undecided" "$pending of $total"
jq -e '[.items[] | .status.observedGeneration == 1 and (.status.conditions | length) == 3] | all' <<<"$SG_BODY" >/dev/null \
  && sg_pass "each trigger carries one decision (generation 1, three conditions)" || sg_fail "decided once" "bad status"
ids="$(jq '[.items[] | .spec.deliveryIdentity | (if (.key // "") != "" then .key else .submissionId end)] | unique | length' <<<"$SG_BODY")"
runs="$(count_items "$R")"
[ "$runs" = "$ids" ] && sg_pass "StoryRuns ($runs) equal distinct identities ($ids)" || sg_fail "StoryRuns" "$runs runs, $ids identities"
jq -e '[.items[] | .status.storyRunRef.name] | (unique | length) == length' <<<"$SG_BODY" >/dev/null \
  && sg_pass "no two triggers share a StoryRun" || sg_fail "shared runs" "duplicate storyRunRef"

# a watch resumes from a resourceVersion seen before the crash
api GET "$T?watch=true&resourceVersion=$rv_before&timeoutSeconds=1"
first="$(head -1 <<<"$SG_BODY")"
[ "$SG_STATUS" = 200 ] && [ "$(jq -r .type <<<"$first")" = ADDED ] \
  && [ "$(jq -r .object.metadata.resourceVersion <<<"$first")" -gt "$rv_before" ] \
  && sg_pass "a watch resumes from a pre-crash resourceVersion" || sg_fail "watch resume" "$SG_STATUS ${first:0:200}"

sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "the server exits 0 on SIGTERM" || sg_fail "clean exit" "exit $SG_EXIT"
sg_summary
