#!/usr/bin/env bash
# Leader hand-over between two `storygate serve --set store=kube` processes sharing the apiserver double: only the
# Lease holder decides; after kill -9 of the leader the other takes over within the lease duration and decides what
# arrived meanwhile; no trigger is decided twice (the double's event history shows one decision write per trigger)
# and there is exactly one StoryRun per identity. Then startup resync (triggers created while no storygate runs), a
# watch history compacted away under a running process (410 Gone -> relist), and a stalled leader (SIGSTOP) that
# loses the Lease and, once resumed, stops reconciling.
source "$(dirname "$0")/lib.sh"

NS=demo
T=/apis/runs.bubustack.io/v1alpha1/namespaces/$NS/storytriggers
R=/apis/runs.bubustack.io/v1alpha1/namespaces/$NS/storyruns
LEASE=(--set leaderElection.leaseDurationSeconds=3 --set leaderElection.renewDeadlineSeconds=2
  --set leaderElection.retryPeriodSeconds=1 --set reconcile.workers=4)

fake_start || { fail "the apiserver double starts" "see above"; summary; exit 1; }
jq -cn --arg ns "$NS" '{apiVersion:"bubustack.io/v1alpha1", kind:"Story", metadata:{name:"s1", namespace:$ns},
  spec:{steps:[{name:"one", type:"sleep"}]}}' >"$T_DIR/story.json"
kapi POST "/apis/bubustack.io/v1alpha1/namespaces/$NS/stories" "$T_DIR/story.json"
[ "$K_STATUS" = 201 ] && pass "a Story is created in the apiserver double" || fail "create Story" "$K_STATUS $K_BODY"

sg_up a "${LEASE[@]}" || { fail "replica a starts" "see above"; summary; exit 1; }
sg_up b "${LEASE[@]}" || { fail "replica b starts" "see above"; summary; exit 1; }

# exactly one leader; both ready
leader=""
for i in $(seq 1 100); do
  sa="$(leader_status a)"; sb="$(leader_status b)"
  [ "$sa" = 1 ] && [ "$sb" = 0 ] && { leader=a; other=b; break; }
  [ "$sb" = 1 ] && [ "$sa" = 0 ] && { leader=b; other=a; break; }
  sleep 0.1
done
[ -n "$leader" ] && pass "exactly one replica leads (leader_election_master_status 1 and 0)" \
  || fail "one leader" "a=$(leader_status a) b=$(leader_status b)"
[ -n "$leader" ] || { summary; exit 1; }
other_port_var="PORT_$other"
[ "$(sg_get "${!other_port_var}" /readyz >/dev/null && echo ok)" = ok ] \
  && pass "the replica that does not lead is ready too" || fail "non-leader /readyz" "not 200"

# a batch while $leader leads
make_triggers "$NS" s1 first 20 && pass "20 triggers are created in the apiserver" || fail "create batch 1" "see above"
wait_decided "$NS" first 20 20 && pass "the leader decides all 20 (Created)" \
  || fail "batch 1 decided" "$(count_decided "$NS" first) of 20"
grep -q '"msg":"cluster: reconciling as leader"' "$T_DIR/$other.log" \
  && fail "only the leader reconciles" "$other logged that it reconciles" || pass "the other replica does not reconcile"

# one decided trigger and its StoryRun look exactly as the embedded mode writes them (spec §4.4, §4.5)
kapi GET "$T"
trig="$(jq -c '[.items[] | select(.spec.deliveryIdentity.key == "first-1")][0]' <<<"$K_BODY")"
tname="$(jq -r .metadata.name <<<"$trig")"
run="$(jq -r .status.storyRunRef.name <<<"$trig")"
want_run="$(jq -cn --arg ns "$NS" '{storyNamespace:$ns, storyName:"s1", key:"first-1", submissionId:"sub-first-1", inputsRaw:"{\"n\":1}"}' \
  | "$SG_BIN" identity | jq -r .storyRunName)"
kapi GET "$R/$run"
srun="$K_BODY"
jq -e --arg run "$want_run" --arg ns "$NS" --arg t "$tname" --arg uid "$(jq -r .metadata.uid <<<"$trig")" \
  --arg h "$(jq -r .spec.deliveryIdentity.inputHash <<<"$trig")" \
  '.status.decision == "Created" and .status.reason == "StoryRunCreated"
   and .status.message == ("created StoryRun \"" + $ns + "/" + $run + "\"")
   and .status.storyRunRef.name == $run and .status.storyRunRef.namespace == $ns
   and .status.observedGeneration == 1 and .status.acceptedAt != null and .status.completedAt != null
   and ([.status.conditions[] | .type + "=" + .status] == ["Ready=True", "Progressing=False", "Degraded=False"])' \
  <<<"$trig" >/dev/null && pass "the trigger status is the §4.4 Created status" || fail "trigger status" "$trig"
jq -e --arg t "$tname" --arg uid "$(jq -r .metadata.uid <<<"$trig")" \
  --arg h "$(jq -r .spec.deliveryIdentity.inputHash <<<"$trig")" --arg ruid "$(jq -r .status.storyRunRef.uid <<<"$trig")" \
  '.metadata.annotations == {"storyrun.bubustack.io/trigger-request-name": $t,
     "storyrun.bubustack.io/trigger-request-uid": $uid, "storyrun.bubustack.io/trigger-token": "first-1",
     "storyrun.bubustack.io/trigger-input-hash": $h}
   and .spec == {storyRef:{name:"s1"}, inputs:{n:1}} and .metadata.uid == $ruid
   and (.metadata.labels == null) and (.metadata.ownerReferences == null)' <<<"$srun" >/dev/null \
  && [ "$run" = "$want_run" ] && pass "the StoryRun has the derived name, the §4.5 annotations and spec" \
  || fail "StoryRun shape" "want $want_run: $srun"

# kill -9 the leader, then more triggers: the other replica takes over within the lease duration (+ margin)
leader_pid_var="PID_$leader"
sg_kill "$leader" KILL
t0=$(date +%s%N); echo "# killed $leader at $(date -u +%H:%M:%S.%N | cut -c1-12)"
make_triggers "$NS" s1 second 10 && pass "10 more triggers are created after the leader died" || fail "create batch 2" "see above"
took=""
for i in $(seq 1 150); do
  [ "$(leader_status "$other")" = 1 ] && { took=$((($(date +%s%N) - t0) / 1000000)); break; }
  sleep 0.1
done
# Worst case: the last renewal is first seen one candidate period (retry 1 s + up to 120 % jitter = 2.2 s) after
# it happened, expires a lease duration (3 s) later and is noticed one period after that: 7.4 s, plus a margin.
[ -n "$took" ] && [ "$took" -le 12000 ] && pass "replica $other takes the Lease within the lease duration (${took} ms)" \
  || fail "take-over" "took '${took}' ms"
wait_decided "$NS" second 10 20 && pass "the new leader decides the triggers created meanwhile" \
  || fail "batch 2 decided" "$(count_decided "$NS" second) of 10"
[ "$(count_decided "$NS" first)" = 20 ] && pass "the first batch stays decided" || fail "batch 1 after take-over" ""

# exactly one decision write per trigger, one StoryRun per identity
# check_once LABEL WRITES RUNS [FROM_RV]: the history since FROM_RV holds WRITES decision writes, none twice for one
# trigger, and there are RUNS StoryRuns, one per identity.
check_once() {
  local label="$1" n="$2" nruns="$3" from="${4:-1}"
  kapi_history "$T" "$from" >"$T_DIR/history.jsonl"
  local multi
  multi="$(jq -sc '[.[] | select(.type == "MODIFIED")
      | select(.object.status.decision == "Created" or .object.status.decision == "Reused"
               or .object.status.decision == "Rejected")
      | .object.metadata.name] | group_by(.) | map(select(length > 1) | .[0])' "$T_DIR/history.jsonl")"
  local writes
  writes="$(jq -s '[.[] | select(.type == "MODIFIED") | select(.object.status.decision == "Created")] | length' \
    "$T_DIR/history.jsonl")"
  [ "$multi" = "[]" ] && [ "$writes" = "$n" ] && pass "$label: $n decision writes, one per trigger" \
    || fail "$label: one decision write per trigger" "twice: $multi; decision writes $writes, want $n"
  kapi GET "$R"
  local runs distinct
  runs="$(jq '.items | length' <<<"$K_BODY")"
  kapi GET "$T"
  distinct="$(jq '[.items[] | .spec.deliveryIdentity.key] | unique | length' <<<"$K_BODY")"
  [ "$runs" = "$distinct" ] && [ "$runs" = "$nruns" ] && pass "$label: StoryRuns == distinct identities ($runs)" \
    || fail "$label: StoryRun count" "$runs StoryRuns, $distinct identities, want $nruns"
}
check_once "after hand-over" 30 30

# startup resync: with no storygate running, triggers wait; a fresh process decides them
sg_kill "$other" TERM
make_triggers "$NS" s1 offline 5 && pass "5 triggers are created while no storygate runs" || fail "create batch 3" ""
sleep 1
[ "$(count_decided "$NS" offline)" = 0 ] && pass "nothing decides them while no storygate runs" \
  || fail "offline batch" "decided without a process"
sg_up c "${LEASE[@]}" || fail "replica c starts" "see above"
wait_decided "$NS" offline 5 20 && pass "a process started later decides them (startup resync)" \
  || fail "resync" "$(count_decided "$NS" offline) of 5"

# the watch history is compacted and every watch broken: the informers relist (410 Gone) and nothing is lost
check_once "after resync" 35 35
kill -USR1 "$FAKE_PID"
sleep 0.5
kapi GET "$T"
compacted="$(jq -r .metadata.resourceVersion <<<"$K_BODY")"
make_triggers "$NS" s1 gone 5 && pass "5 triggers are created after the history was compacted" || fail "create batch 4" ""
wait_decided "$NS" gone 5 20 && pass "they are decided after the watch was re-established from a relist" \
  || fail "after 410" "$(count_decided "$NS" gone) of 5"
kapi GET "$R"
[ "$(jq '.items | length' <<<"$K_BODY")" = 40 ] && pass "40 StoryRuns for 40 identities in the end" \
  || fail "final StoryRun count" "$(jq '.items | length' <<<"$K_BODY")"

# a stalled leader (SIGSTOP) loses the Lease to a candidate; when it resumes it starts no further decision
sg_up d "${LEASE[@]}" || fail "replica d starts" "see above"
sleep 1.5
[ "$(leader_status d)" = 0 ] && pass "a fourth replica waits as a candidate" || fail "candidate d" "$(leader_status d)"
kill -STOP "${SG_PIDS[c]}"
took=""
t0=$(date +%s%N)
for i in $(seq 1 150); do
  [ "$(leader_status d)" = 1 ] && { took=$((($(date +%s%N) - t0) / 1000000)); break; }
  sleep 0.1
done
[ -n "$took" ] && [ "$took" -le 12000 ] && pass "a candidate takes the Lease from a stalled leader (${took} ms)" \
  || fail "take-over from a stalled leader" "took '${took}' ms"
make_triggers "$NS" s1 frozen 5 && wait_decided "$NS" frozen 5 20 \
  && pass "the new leader decides while the old one is stalled" || fail "frozen batch" "$(count_decided "$NS" frozen) of 5"
kill -CONT "${SG_PIDS[c]}"
for i in $(seq 1 50); do
  grep -q '"msg":"cluster: reconciler stopped","reason":"lost the lease"' "$T_DIR/c.log" && break
  sleep 0.1
done
grep -q '"msg":"cluster: reconciler stopped","reason":"lost the lease"' "$T_DIR/c.log" \
  && pass "the resumed replica notices the lost Lease and stops its reconciler" || fail "resumed leader" "no log line"
# The log line comes from the reconciler's side; the Lease loop sets the gauge on its own next step.
for i in $(seq 1 100); do [ "$(leader_status c)" = 0 ] && break; sleep 0.1; done
[ "$(leader_status c)" = 0 ] && pass "the resumed replica reports leader_election_master_status 0" \
  || fail "resumed leader status" "$(leader_status c)"
make_triggers "$NS" s1 thawed 5 && wait_decided "$NS" thawed 5 20 \
  && pass "decisions go on after the stalled replica resumed" || fail "thawed batch" "$(count_decided "$NS" thawed) of 5"
check_once "after a stalled leader resumed" 15 50 "$compacted"

sg_kill c TERM
sg_kill d TERM
grep -q '"msg":"cluster: reconciler stopped","reason":"shutdown"' "$T_DIR/d.log" \
  && pass "a clean shutdown stops the reconciler" || fail "clean shutdown" "no log line"
kapi GET /apis/coordination.k8s.io/v1/namespaces/storygate-system/leases/storygate-leader
[ "$(jq -r '.spec.holderIdentity // ""' <<<"$K_BODY")" = "" ] && pass "a clean shutdown hands the Lease back" \
  || fail "lease release" "$K_BODY"
# sanitizer builds: the processes stopped with SIGTERM report no error or leak
if grep -l -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T_DIR/$other.log" "$T_DIR/c.log" "$T_DIR/d.log" >/dev/null; then
  fail "clean exits under sanitizers" \
    "$(grep -h -m3 -E "ERROR: |runtime error:" "$T_DIR/$other.log" "$T_DIR/c.log" "$T_DIR/d.log")"
else
  pass "the processes stopped cleanly report no sanitizer error"
fi
summary
