#!/usr/bin/env bash
# kubectl against the embedded API (a temp KUBECONFIG with a bearer token, TLS verification off): discovery,
# `get` tables with the CRD printer columns, `create -f`, `-o yaml`, `get -w` streaming a decision, `delete`, and
# the token file: no token or a wrong one is 401, a read-only token cannot create.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_api.sh"
command -v kubectl >/dev/null || { echo "kubectl not installed"; sg_pass "skipped: no kubectl"; sg_summary; exit 0; }

printf 'admin-token\nviewer-token,read-only\n' >"$SG_TMP/tokens"
sg_start_server --data-dir "$SG_TMP/data" --set api.tokenFile="$SG_TMP/tokens" \
  --set api.manifestsDir="$SG_SOURCE_DIR/deploy/examples" \
  || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
SG_API_TOKEN=admin-token

kc() {
  local token="$1"
  shift
  timeout 20 kubectl --server "$SG_URL" --insecure-skip-tls-verify --token "$token" \
    --kubeconfig "$SG_TMP/kubeconfig" --cache-dir "$SG_TMP/kcache" "$@"
}
printf 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n' >"$SG_TMP/kubeconfig"
export KUBECONFIG="$SG_TMP/kubeconfig"

# authentication
api_no_token() { SG_STATUS="$(sg_curl -o /dev/null -w '%{http_code}' "$@" 2>/dev/null)"; }
api_no_token "$SG_URL/apis"
[ "$SG_STATUS" = 401 ] && sg_pass "no token is 401" || sg_fail "no token" "$SG_STATUS"
api_no_token -H "Authorization: Bearer nope" "$SG_URL/apis/runs.bubustack.io/v1alpha1/storytriggers"
[ "$SG_STATUS" = 401 ] && sg_pass "a wrong token is 401" || sg_fail "wrong token" "$SG_STATUS"
api_no_token "$SG_URL/readyz"
[ "$SG_STATUS" = 200 ] && sg_pass "health stays open" || sg_fail "health open" "$SG_STATUS"

out="$(kc admin-token api-resources --api-group=runs.bubustack.io 2>&1)"
grep -q 'storytriggers *trig *runs.bubustack.io/v1alpha1 *true *StoryTrigger' <<<"$out" \
  && sg_pass "kubectl api-resources shows storytriggers" || sg_fail "api-resources" "$out"
out="$(kc admin-token get stories -A 2>&1)"
grep -q 'example-story' <<<"$out" && sg_pass "kubectl get stories -A lists the loaded examples" || sg_fail "get stories" "$out"

# kubectl get -w in the background while a trigger is created and decided
kc admin-token get storytriggers -n default -w >"$SG_TMP/w.out" 2>&1 &
wpid=$!
SG_BG_PIDS+=("$wpid")
sleep 1.5
out="$(kc admin-token create -f "$SG_SOURCE_DIR/deploy/examples/storytrigger-default.yaml" 2>&1)"
grep -q 'storytrigger.runs.bubustack.io/example-story-trigger-7ae6e94cb44073bc created' <<<"$out" \
  && sg_pass "kubectl create -f creates the trigger" || sg_fail "kubectl create" "$out"
out="$(kc admin-token create -f "$SG_SOURCE_DIR/deploy/examples/storytrigger-default.yaml" 2>&1)"
grep -q 'AlreadyExists' <<<"$out" && sg_pass "kubectl create again reports AlreadyExists" || sg_fail "kubectl create again" "$out"
wait_decision default example-story-trigger-7ae6e94cb44073bc || true
sleep 1
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
grep -Eq '^example-story-trigger-7ae6e94cb44073bc +example-story +Created +example-story-sample-submission-7ae6e94cb44073bc' "$SG_TMP/w.out" \
  && sg_pass "kubectl get -w shows the decision arriving" || sg_fail "kubectl get -w" "$(cat "$SG_TMP/w.out")"

out="$(kc admin-token wait -n default --for=jsonpath='{.status.decision}'=Created \
  storytrigger/example-story-trigger-7ae6e94cb44073bc --timeout=10s 2>&1)"
grep -q 'condition met' <<<"$out" && sg_pass "kubectl wait for the decision works (watch with a field selector)" \
  || sg_fail "kubectl wait" "$out"
out="$(kc admin-token get bubu -A 2>&1)"
grep -q 'storytrigger.runs.bubustack.io/example-story-trigger-7ae6e94cb44073bc' <<<"$out" \
  && grep -q 'story.bubustack.io/example-story' <<<"$out" && sg_pass "kubectl get by category (bubu)" \
  || sg_fail "category" "$out"
out="$(kc admin-token get trig -n default 2>&1)"
head -1 <<<"$out" | grep -Eq '^NAME +STORY +DECISION +STORYRUN +AGE$' && grep -q 'Created' <<<"$out" \
  && sg_pass "kubectl get prints the CRD printer columns" || sg_fail "kubectl get table" "$out"
out="$(kc admin-token get storytrigger -n default example-story-trigger-7ae6e94cb44073bc -o yaml 2>&1)"
grep -q '^  decision: Created' <<<"$out" && grep -q '^kind: StoryTrigger' <<<"$out" \
  && sg_pass "kubectl get -o yaml prints the object" || sg_fail "kubectl -o yaml" "$out"
out="$(timeout 5 kubectl --server "$SG_URL" --insecure-skip-tls-verify --token viewer-token --cache-dir "$SG_TMP/kc2" \
  get srun -n default 2>&1)"
grep -q 'example-story-sample-submission-7ae6e94cb44073bc' <<<"$out" \
  && sg_pass "a read-only token can list StoryRuns" || sg_fail "read-only list" "$out"
out="$(kc viewer-token create -f "$SG_SOURCE_DIR/deploy/examples/stories.yaml" 2>&1)"
grep -q 'Forbidden' <<<"$out" && sg_pass "a read-only token cannot create (403)" || sg_fail "read-only create" "$out"
cat >"$SG_TMP/typo.yaml" <<'YAML'
apiVersion: bubustack.io/v1alpha1
kind: Story
metadata:
  name: typo
  namespace: default
  labelz: {a: b}
spec:
  steps: [{name: a, type: sleep}]
YAML
out="$(kc admin-token create -f "$SG_TMP/typo.yaml" 2>&1)"
grep -q 'strict decoding error: unknown field "metadata.labelz"' <<<"$out" \
  && sg_pass "kubectl's strict field validation rejects an unknown field" || sg_fail "strict fields" "$out"
out="$(kc admin-token create -f "$SG_TMP/typo.yaml" --validate=false 2>&1)"
grep -q 'story.bubustack.io/typo created' <<<"$out" && sg_pass "--validate=false accepts it" || sg_fail "validate=false" "$out"
out="$(kc admin-token delete trig -n default example-story-trigger-7ae6e94cb44073bc 2>&1)"
grep -q 'deleted' <<<"$out" && sg_pass "kubectl delete works" || sg_fail "kubectl delete" "$out"
out="$(kc admin-token get trig -n default example-story-trigger-7ae6e94cb44073bc 2>&1)"
grep -q 'NotFound' <<<"$out" && sg_pass "kubectl reports NotFound after delete" || sg_fail "NotFound" "$out"

sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "the server exits 0 on SIGTERM" || sg_fail "clean exit" "exit $SG_EXIT"
sg_summary
