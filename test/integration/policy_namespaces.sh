#!/usr/bin/env bash
# Policies' namespaceSelector on real Namespace labels in embedded mode: Namespaces from the manifests directory and
# from the API (POST /api/v1/namespaces) reach the admission snapshot; a policy selecting env=prod denies there and
# nowhere else; an unknown namespace only has its name label; kubectl lists the Namespaces.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_api.sh"
EX="$SG_SOURCE_DIR/deploy/examples"

mkdir -p "$SG_TMP/manifests" "$SG_TMP/policies"
cat >"$SG_TMP/manifests/namespaces.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels:
    env: prod
---
apiVersion: v1
kind: Namespace
metadata:
  name: dev
  labels:
    env: dev
EOF
# the trigger of the example review needs its Story in every namespace it is sent to
for ns in prod dev late ghost; do
  printf 'apiVersion: bubustack.io/v1alpha1\nkind: Story\nmetadata:\n  name: example-story\n  namespace: %s\nspec:\n  steps:\n  - {name: one, type: sleep}\n---\n' \
    "$ns" >>"$SG_TMP/manifests/stories.yaml"
done
cat >"$SG_TMP/policies/freeze.yaml" <<'EOF'
apiVersion: policy.storygate.dev/v1alpha1
kind: StoryTriggerPolicy
metadata:
  name: freeze-prod
spec:
  matchConstraints:
    namespaceSelector:
      matchLabels: {env: prod}
  validations:
  - expression: "false"
    message: triggers are frozen in production namespaces
    reason: Forbidden
---
apiVersion: policy.storygate.dev/v1alpha1
kind: StoryTriggerPolicy
metadata:
  name: name-label
spec:
  matchConstraints:
    namespaceSelector:
      matchExpressions:
      - {key: kubernetes.io/metadata.name, operator: In, values: [ghost]}
  validations:
  - expression: "false"
    message: ghost is selected by its name label
EOF

sg_start_server --set "api.manifestsDir=$SG_TMP/manifests" --set "policies.dir=$SG_TMP/policies" \
  || { sg_fail "server starts with namespaces and a namespaceSelector policy" "see above"; sg_summary; exit 1; }
sg_pass "server starts with namespaces and a namespaceSelector policy"

# review NS: the example AdmissionReview with its trigger in namespace NS (named as the identity rules want);
# sets SG_STATUS and SG_BODY
review() {
  local obj
  obj="$(trigger_json "$1" example-story "" sample-submission '{"greeting":"hello"}')"
  jq --argjson o "$obj" '.request.object = $o | .request.name = $o.metadata.name | .request.namespace = $o.metadata.namespace' \
    "$EX/admissionreview.json" >"$SG_TMP/review-$1.json"
  sg_post "$SG_TMP/review-$1.json" /validate
}

review prod
expect_json_field "a trigger in a Namespace labelled env=prod is denied" .response.allowed false
expect_json_field "the denial names the policy" .response.status.message \
  "StoryTriggerPolicy 'freeze-prod' denied request: triggers are frozen in production namespaces"
expect_json_field "the policy's reason sets the code" .response.status.code 403
review dev
expect_json_field "a trigger in a Namespace labelled env=dev is allowed" .response.allowed true
review late
expect_json_field "a namespace the server does not know yet is allowed" .response.allowed true
review ghost
expect_json_field "an unknown namespace still has its kubernetes.io/metadata.name label" .response.allowed false
expect_json_field "the name-label policy denied it" .response.status.message \
  "StoryTriggerPolicy 'name-label' denied request: ghost is selected by its name label"

# a third Namespace labelled env=prod through the API: the store's watch updates the snapshot
jq -n '{apiVersion: "v1", kind: "Namespace", metadata: {name: "late", labels: {env: "prod"}}}' >"$SG_TMP/late.json"
api POST /api/v1/namespaces "$SG_TMP/late.json"
[ "$SG_STATUS" = 201 ] && sg_pass "POST /api/v1/namespaces creates a Namespace" \
  || sg_fail "POST /api/v1/namespaces" "status $SG_STATUS: ${SG_BODY:0:300}"
expect_json_field "the created Namespace has no namespace" '.metadata.namespace // "none"' none
expect_json_field "the created Namespace carries its name label" '.metadata.labels["kubernetes.io/metadata.name"]' late
expect_json_field "the created Namespace is Active" .status.phase Active
api POST /api/v1/namespaces "$SG_TMP/late.json"
expect_json_field "creating it again is AlreadyExists" .reason AlreadyExists
expect_json_field "with the core group's message" .message 'namespaces "late" already exists'
allowed=""
for i in $(seq 1 50); do
  review late
  allowed="$(jq -r .response.allowed <<<"$SG_BODY" 2>/dev/null)"
  [ "$allowed" = false ] && break
  sleep 0.1
done
[ "$allowed" = false ] && sg_pass "the policy applies to the new env=prod Namespace" \
  || sg_fail "the policy applies to the new env=prod Namespace" "allowed=$allowed: ${SG_BODY:0:300}"

# the REST surface of the core group
api GET /api/v1/namespaces/late
expect_json_field "GET /api/v1/namespaces/late" .metadata.labels.env prod
api GET "/api/v1/namespaces?labelSelector=env%3Dprod"
expect_json_field "list with a label selector" '[.items[].metadata.name] | join(",")' late,prod
expect_json_field "the list is a v1 NamespaceList" '.apiVersion + " " + .kind' "v1 NamespaceList"
api GET /api/v1
expect_json_field "/api/v1 lists namespaces, cluster-scoped" \
  '.resources[] | select(.name == "namespaces") | [.namespaced, .shortNames[0]] | tostring' '[false,"ns"]'
api GET /api/v1/namespaces/nowhere
expect_json_field "a missing Namespace is 404 NotFound" '[.code, .message] | tostring' '[404,"namespaces \"nowhere\" not found"]'
api POST /apis/runs.bubustack.io/v1alpha1/namespaces "$SG_TMP/late.json"
[ "$SG_STATUS" = 404 ] && sg_pass "Namespaces are not served under a named group" || sg_fail "no namespaces under /apis" "$SG_STATUS"

# kubectl lists them
if command -v kubectl >/dev/null; then
  printf 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n' >"$SG_TMP/kubeconfig"
  kc() {
    timeout 20 kubectl --server "$SG_URL" --insecure-skip-tls-verify --token unused --kubeconfig "$SG_TMP/kubeconfig" \
      --cache-dir "$SG_TMP/kcache" "$@"
  }
  out="$(kc get ns 2>&1)"
  if grep -Eq '^dev +Active' <<<"$out" && grep -Eq '^late +Active' <<<"$out" && grep -Eq '^prod +Active' <<<"$out"; then
    sg_pass "kubectl get ns lists the three Namespaces"
  else
    sg_fail "kubectl get ns" "$out"
  fi
  out="$(kc get ns -l env=prod -o name 2>&1)"
  [ "$(printf '%s' "$out" | tr '\n' ' ')" = "namespace/late namespace/prod" ] \
    && sg_pass "kubectl get ns -l env=prod" || sg_fail "kubectl get ns -l env=prod" "$out"
  # (`kubectl create namespace NAME` sends a protobuf body, which the embedded API does not decode)
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kc-file\n  labels: {env: prod}\n' >"$SG_TMP/ns.yaml"
  out="$(kc create -f "$SG_TMP/ns.yaml" 2>&1)"
  grep -q 'namespace/kc-file created' <<<"$out" && sg_pass "kubectl create -f ns.yaml" || sg_fail "kubectl create -f" "$out"
  out="$(kc get ns kc-file -o jsonpath='{.metadata.labels.env}' 2>&1)"
  [ "$out" = prod ] && sg_pass "kubectl get ns -o jsonpath shows the label" || sg_fail "kubectl get ns -o jsonpath" "$out"
  out="$(kc delete namespace kc-file 2>&1)"
  grep -q 'namespace "kc-file" deleted' <<<"$out" && sg_pass "kubectl delete namespace" || sg_fail "kubectl delete" "$out"
else
  sg_pass "skipped kubectl checks: kubectl not installed"
fi

# deleting the Namespace takes its labels out of the snapshot: the trigger is allowed again
api DELETE /api/v1/namespaces/late
[ "$SG_STATUS" = 200 ] && sg_pass "DELETE /api/v1/namespaces/late" || sg_fail "DELETE namespace" "$SG_STATUS"
allowed=""
for i in $(seq 1 50); do
  review late
  allowed="$(jq -r .response.allowed <<<"$SG_BODY" 2>/dev/null)"
  [ "$allowed" = true ] && break
  sleep 0.1
done
[ "$allowed" = true ] && sg_pass "after the deletion the namespace is unknown again and allowed" \
  || sg_fail "allowed after deletion" "allowed=$allowed: ${SG_BODY:0:300}"

sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "server stops cleanly" || sg_fail "server stops cleanly" "exit $SG_EXIT"
sg_summary
