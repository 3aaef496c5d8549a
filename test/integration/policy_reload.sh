#!/usr/bin/env bash
# Hot reload under load: a stream of AdmissionReviews runs while the policy file goes good -> bad -> good (and a
# SIGHUP); every request is answered, the bad file never takes effect, and the new good set does.
source "$(dirname "$0")/lib.sh"
EX="$SG_SOURCE_DIR/deploy/examples"
# A private embedded store seeded with the example Stories, so the reviews pass the Story checks.
mkdir -p "$SG_TMP/manifests" && cp "$EX/stories.yaml" "$SG_TMP/manifests/"
SERVE=(--set "dataDir=$SG_TMP/data" --set "api.manifestsDir=$SG_TMP/manifests")
POL="$SG_TMP/policies"
mkdir -p "$POL"

# write_policy MESSAGE EXPRESSION: replaces gate.yaml atomically.
write_policy() {
  printf 'apiVersion: policy.storygate.dev/v1alpha1\nkind: StoryTriggerPolicy\nmetadata:\n  name: gate\nspec:\n  validations:\n  - expression: %s\n    message: %s\n' \
    "$2" "$1" >"$POL/.gate.tmp" && mv "$POL/.gate.tmp" "$POL/gate.yaml"
}

metric() { sg_curl "$SG_URL/metrics" 2>/dev/null | grep -F "$1" | awk '{print $NF}'; }

# wait_for DESCRIPTION COMMAND...: retries COMMAND for up to 90 s (a bound, not a speed requirement: a loaded CI
# machine may answer slowly, and the checks below count answers, not seconds).
wait_for() {
  local what="$1" i
  shift
  for i in $(seq 1 900); do "$@" && return 0; sleep 0.1; done
  return 1
}

write_policy "gate v1" "\"object.spec.storyRef.name != 'example-story'\""
sg_start_server "${SERVE[@]}" --set "policies.dir=$POL" || { sg_fail "server starts" "see above"; sg_summary; exit 1; }
sg_pass "server starts with gate v1"

# The stream: three clients, each up to 3000 sequential reviews until the test stops them; each answer is a line
# "HTTP-status message".
stream_out="$SG_TMP/stream.out"
: >"$stream_out"
stream_pids=()
for c in 1 2 3; do
  (
    for i in $(seq 1 3000); do
      [ -f "$SG_TMP/stop" ] && break
      code="$(sg_curl -o "$SG_TMP/s$c.body" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "@$EX/admissionreview.json" "$SG_URL/validate" 2>/dev/null)"
      printf '%s %s\n' "$code" "$(jq -r '.response.status.message // "allowed"' "$SG_TMP/s$c.body" 2>/dev/null)" >>"$stream_out"
    done
  ) &
  SG_BG_PIDS+=($!)
  stream_pids+=($!)
done

has_line() { grep -qF "$1" "$stream_out"; }
wait_for "first answers" has_line "gate v1" && sg_pass "requests are denied by gate v1" || sg_fail "gate v1" "no answer"

base_fail="$(metric 'storygate_policy_reload_total{result="failure"}')"
write_policy "gate broken" "\"object.spec. ==\""
failures_grew() { [ "$(metric 'storygate_policy_reload_total{result="failure"}')" -gt "${base_fail:-0}" ] 2>/dev/null; }
wait_for "failed reload" failures_grew && sg_pass "the bad file is a failed reload" || sg_fail "bad reload" "metric unchanged"
n_before="$(wc -l <"$stream_out")"
wait_for "more answers" bash -c "[ \$(wc -l <'$stream_out') -ge $((n_before + 20)) ]"
tail -n 10 "$stream_out" | grep -q "gate v1" && sg_pass "the last good set stays in force" \
  || sg_fail "the last good set stays in force" "$(tail -n 3 "$stream_out")"
grep -q "policy reload failed" "$SG_LOG" && sg_pass "the failed reload is logged" || sg_fail "failed reload logged" "no log line"

write_policy "gate v2" "\"object.spec.storyRef.name != 'example-story'\""
wait_for "gate v2" has_line "gate v2" && sg_pass "the new good set takes over" || sg_fail "gate v2" "never seen"

ok_before="$(metric 'storygate_policy_reload_total{result="success"}')"
kill -HUP "$SG_PID"
successes_grew() { [ "$(metric 'storygate_policy_reload_total{result="success"}')" -gt "${ok_before:-0}" ] 2>/dev/null; }
wait_for "SIGHUP reload" successes_grew && sg_pass "SIGHUP reloads the policies" || sg_fail "SIGHUP reload" "no new reload"

n_hup="$(wc -l <"$stream_out")"
wait_for "answers after SIGHUP" bash -c "[ \$(wc -l <'$stream_out') -ge $((n_hup + 60)) ]"
touch "$SG_TMP/stop"
wait "${stream_pids[@]}" 2>/dev/null
total="$(wc -l <"$stream_out")"
bad="$(grep -cvE '^200 StoryTriggerPolicy .gate. denied request: gate v[12]$' "$stream_out")"
if [ "$total" -ge 100 ] && [ "$bad" = 0 ]; then
  sg_pass "$total requests during the reloads, none failed"
else
  sg_fail "no failed requests" "$bad of $total unexpected: $(grep -vE '^200 StoryTriggerPolicy' "$stream_out" | head -3)"
fi
kill -0 "$SG_PID" 2>/dev/null && sg_pass "server still running" || sg_fail "server still running" "exited"
sg_stop_server
[ "$SG_EXIT" = 0 ] && sg_pass "server stops cleanly" || sg_fail "server stops cleanly" "exit $SG_EXIT"
sg_summary
