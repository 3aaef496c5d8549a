#!/usr/bin/env bash
# Helpers for the embedded-API tests (sourced after lib.sh): REST calls with curl, StoryTrigger documents whose
# names and input hashes come from `storygate identity`, and polling for decisions.
#
#   api METHOD PATH [FILE]        # sets SG_STATUS and SG_BODY (FILE is POSTed as application/json)
#   trigger_json NS STORY KEY SUBMISSION INPUTS_JSON [MODE]   # prints a StoryTrigger; sets TRIG_NAME, TRIG_RUN
#   wait_decision NS NAME [SECONDS]   # polls until status.decision is Created/Reused/Rejected; sets SG_BODY, DECISION

SG_API_TOKEN="${SG_API_TOKEN:-}"
TRIG_NAME=""
TRIG_RUN=""
DECISION=""

api() {
  local method="$1" path="$2" file="${3:-}" out="$SG_TMP/api.out" args=()
  [ -n "$SG_API_TOKEN" ] && args+=(-H "Authorization: Bearer $SG_API_TOKEN")
  [ -n "$file" ] && args+=(-H "Content-Type: application/json" --data-binary "@$file")
  SG_STATUS="$(sg_curl -o "$out" -w '%{http_code}' -X "$method" "${args[@]+"${args[@]}"}" "$SG_URL$path" 2>/dev/null)"
  SG_BODY="$(cat "$out" 2>/dev/null)"
}

trigger_json() {
  local ns="$1" story="$2" key="$3" sub="$4" inputs="$5" mode="${6:-}" line
  [ -n "$mode" ] || { [ -n "$key" ] && mode=token || mode=none; }
  line="$(jq -cn --arg ns "$ns" --arg s "$story" --arg k "$key" --arg sub "$sub" --arg in "$inputs" \
    '{storyNamespace:$ns, storyName:$s, key:$k, submissionId:$sub, inputsRaw:$in}' | "$SG_BIN" identity)"
  TRIG_NAME="$(jq -r .storyTriggerName <<<"$line")"
  TRIG_RUN="$(jq -r .storyRunName <<<"$line")"
  local hash
  hash="$(jq -r .inputHash <<<"$line")"
  jq -cn --arg ns "$ns" --arg s "$story" --arg k "$key" --arg sub "$sub" --argjson in "$inputs" --arg n "$TRIG_NAME" \
    --arg h "$hash" --arg m "$mode" \
    '{apiVersion:"runs.bubustack.io/v1alpha1", kind:"StoryTrigger", metadata:{name:$n, namespace:$ns},
      spec:({storyRef:{name:$s}, inputs:$in, deliveryIdentity:({mode:$m, submissionId:$sub}
        + (if $k != "" then {key:$k, inputHash:$h} else {} end))})}'
}

wait_decision() {
  local ns="$1" name="$2" secs="${3:-15}" i
  DECISION=""
  for i in $(seq 1 $((secs * 10))); do
    api GET "/apis/runs.bubustack.io/v1alpha1/namespaces/$ns/storytriggers/$name"
    DECISION="$(jq -r '.status.decision // ""' <<<"$SG_BODY" 2>/dev/null)"
    case "$DECISION" in Created | Reused | Rejected) return 0 ;; esac
    sleep 0.1
  done
  return 1
}

# story_json NS NAME [VERSION]: a minimal valid Story.
story_json() {
  jq -cn --arg ns "$1" --arg n "$2" --arg v "${3:-}" \
    '{apiVersion:"bubustack.io/v1alpha1", kind:"Story", metadata:{name:$n, namespace:$ns},
      spec:({steps:[{name:"one", type:"sleep"}]} + (if $v != "" then {version:$v} else {} end))}'
}

# count_items PATH: number of items a list returns.
count_items() {
  api GET "$1"
  jq '.items | length' <<<"$SG_BODY" 2>/dev/null || echo -1
}

# make_triggers OUTDIR < SPECS: one StoryTrigger file OUTDIR/<id>.json per spec line
# {"id","ns","story","key","sub","inputs":"<raw JSON text>"}, with three processes in all (jq is slow to start).
make_triggers() {
  local out="$1" specs="$SG_TMP/specs.$$" ids="$SG_TMP/ids.$$"
  cat >"$specs"
  jq -c '{storyNamespace:.ns, storyName:.story, key:.key, submissionId:.sub, inputsRaw:.inputs}' "$specs" \
    | "$SG_BIN" identity >"$ids"
  jq -r -n --slurpfile s "$specs" --slurpfile i "$ids" '
    range(0; $s | length) as $n | $s[$n] as $t | $i[$n] as $d |
    [$t.id, ({apiVersion:"runs.bubustack.io/v1alpha1", kind:"StoryTrigger",
      metadata:{name:$d.storyTriggerName, namespace:$t.ns},
      spec:{storyRef:{name:$t.story}, inputs:($t.inputs | fromjson),
        deliveryIdentity:({mode:(if $t.key != "" then "token" else "none" end), submissionId:$t.sub}
          + (if $t.key != "" then {key:$t.key, inputHash:$d.inputHash} else {} end))}} | tojson)] | @tsv' \
    | while IFS=$'\t' read -r id doc; do printf '%s\n' "$doc" >"$out/$id.json"; done
  rm -f "$specs" "$ids"
}
