#!/usr/bin/env bash
# The same trigger decided in cluster mode (objects in the apiserver double) and in embedded mode (LMDB, REST API)
# gives the same StoryRun and the same trigger status, once server-assigned fields (uids, resourceVersions,
# timestamps) are set aside: the reconciler is shared, only the store differs.
source "$(dirname "$0")/lib.sh"

NS=demo
TP=/apis/runs.bubustack.io/v1alpha1/namespaces/$NS/storytriggers
RP=/apis/runs.bubustack.io/v1alpha1/namespaces/$NS/storyruns
SP=/apis/bubustack.io/v1alpha1/namespaces/$NS/stories

fake_start || { fail "the apiserver double starts" "see above"; summary; exit 1; }
sg_up k --set leaderElection.enabled=false || { fail "cluster-mode storygate starts" "see above"; summary; exit 1; }
sg_up e --set store=embedded --data-dir "$T_DIR/data" || { fail "embedded storygate starts" "see above"; summary; exit 1; }

# embedded REST calls: E_STATUS, E_BODY
eapi() {
  local method="$1" path="$2" file="${3:-}" out="$T_DIR/eapi.out" args=()
  [ -n "$file" ] && args+=(-H "Content-Type: application/json" --data-binary "@$file")
  E_STATUS="$(curl -sS --max-time 10 --cacert "$T_DIR/certs/ca.crt" -o "$out" -w '%{http_code}' -X "$method" \
    "${args[@]+"${args[@]}"}" "https://127.0.0.1:$PORT_e$path" 2>/dev/null)"
  E_BODY="$(cat "$out" 2>/dev/null)"
}

jq -cn --arg ns "$NS" '{apiVersion:"bubustack.io/v1alpha1", kind:"Story", metadata:{name:"s1", namespace:$ns},
  spec:{version:"1.0", steps:[{name:"one", type:"sleep"}]}}' >"$T_DIR/story.json"
line="$(jq -cn --arg ns "$NS" '{storyNamespace:$ns, storyName:"s1", key:"order-7", submissionId:"sub-7",
  inputsRaw:"{\"b\":[1,2.50,\"x\"],\"a\":{\"z\":null}}"}' | "$SG_BIN" identity)"
jq -cn --arg ns "$NS" --arg n "$(jq -r .storyTriggerName <<<"$line")" --arg h "$(jq -r .inputHash <<<"$line")" \
  '{apiVersion:"runs.bubustack.io/v1alpha1", kind:"StoryTrigger", metadata:{name:$n, namespace:$ns},
    spec:{storyRef:{name:"s1", version:"1.0"}, inputs:{b:[1,2.50,"x"], a:{z:null}},
          deliveryIdentity:{mode:"token", key:"order-7", submissionId:"sub-7", inputHash:$h}}}' >"$T_DIR/trigger.json"
name="$(jq -r .storyTriggerName <<<"$line")"

kapi POST "$SP" "$T_DIR/story.json"; ks="$K_STATUS"
kapi POST "$TP" "$T_DIR/trigger.json"; kt="$K_STATUS"
eapi POST "$SP" "$T_DIR/story.json"; es="$E_STATUS"
eapi POST "$TP" "$T_DIR/trigger.json"; et="$E_STATUS"
[ "$ks$kt$es$et" = 201201201201 ] && pass "the Story and the trigger are created in both modes" \
  || fail "create" "apiserver $ks/$kt, embedded $es/$et: $E_BODY"

decided() { jq -e '.status.decision == "Created"' >/dev/null 2>&1; }
for i in $(seq 1 100); do
  kapi GET "$TP/$name"; eapi GET "$TP/$name"
  decided <<<"$K_BODY" && decided <<<"$E_BODY" && break
  sleep 0.1
done
ktrig="$K_BODY"; etrig="$E_BODY"
decided <<<"$ktrig" && decided <<<"$etrig" && pass "both modes decide Created" \
  || fail "decisions" "cluster: ${ktrig:0:300} embedded: ${etrig:0:300}"

# status without times and the StoryRun's uid
norm_status='.status | del(.acceptedAt, .completedAt, .storyRunRef.uid) | .conditions |= map(del(.lastTransitionTime))'
a="$(jq -S -c "$norm_status" <<<"$ktrig")"; b="$(jq -S -c "$norm_status" <<<"$etrig")"
[ "$a" = "$b" ] && pass "the trigger status is the same in both modes" || fail "status parity" "cluster $a / embedded $b"

run="$(jq -r .status.storyRunRef.name <<<"$ktrig")"
kapi GET "$RP/$run"; krun="$K_BODY"
eapi GET "$RP/$run"; erun="$E_BODY"
norm_run='del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.generation,
  .metadata.annotations["storyrun.bubustack.io/trigger-request-uid"], .status)'
a="$(jq -S -c "$norm_run" <<<"$krun")"; b="$(jq -S -c "$norm_run" <<<"$erun")"
[ -n "$a" ] && [ "$a" = "$b" ] && pass "the StoryRun is the same in both modes (name, annotations, spec)" \
  || fail "StoryRun parity" "cluster $a / embedded $b"
[ "$(jq -c .spec.inputs <<<"$krun")" = "$(jq -c .spec.inputs "$T_DIR/trigger.json")" ] \
  && pass "the StoryRun carries the trigger's inputs" || fail "inputs" "$(jq -c .spec.inputs <<<"$krun")"
for pair in "$krun|$ktrig" "$erun|$etrig"; do
  r="${pair%%|*}"; t="${pair#*|}"
  [ "$(jq -r '.metadata.annotations["storyrun.bubustack.io/trigger-request-uid"]' <<<"$r")" = "$(jq -r .metadata.uid <<<"$t")" ] \
    && [ "$(jq -r .metadata.uid <<<"$r")" = "$(jq -r .status.storyRunRef.uid <<<"$t")" ] \
    && pass "the uids link trigger and StoryRun" || fail "uid links" "${r:0:200}"
done
summary
