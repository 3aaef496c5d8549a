#!/usr/bin/env bash
# `storygate policy check`: exit 0 and "ok: N policies" for good files and directories, one line per problem and
# exit 1 for bad ones, exit 2 for usage errors.
set -uo pipefail
SG_SOURCE_DIR="${SG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
SG_BIN="${SG_BIN:-$SG_SOURCE_DIR/build/storygate}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sg-policy-check.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }

# expect NAME STATUS STDOUT-FILE-CHECK ARGS...: runs `storygate policy ARGS`, compares the exit status and stdout.
expect() {
  local name="$1" want_rc="$2" want_out="$3" rc
  shift 3
  timeout 20 "$SG_BIN" policy "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" != "$want_rc" ]; then
    fail "$name" "exit $rc, want $want_rc; stdout: $(head -c 400 "$TMP/out") stderr: $(head -c 200 "$TMP/err")"
  elif [ -n "$want_out" ] && ! diff -u <(printf '%s\n' "$want_out") "$TMP/out" >"$TMP/diff"; then
    fail "$name" "$(cat "$TMP/diff")"
  else
    ok "$name"
  fi
}

expect "the shipped examples are valid" 0 "ok: 6 policies" check "$SG_SOURCE_DIR/deploy/policies"
expect "single files are checked together" 0 "ok: 2 policies" check "$SG_SOURCE_DIR/deploy/policies/github-keys.yaml" \
  "$SG_SOURCE_DIR/deploy/policies/submission-id.yaml"

cat >"$TMP/bad.yaml" <<'YAML'
apiVersion: policy.storygate.dev/v1alpha1
kind: StoryTriggerPolicy
metadata:
  name: bad
spec:
  validationActions: [Deny, Loud]
  variables:
  - name: story
    expression: object.spec.storyRef.name
  validations:
  - expression: variables.stroy == 'x'
  - expression: "object.spec.storyRef.name.startsWith("
  - expression: namespaceObject.metadata.labels.team == 'a'
YAML
expect "every problem is one line with file:line:column" 1 "" check "$TMP/bad.yaml"
sed '3d' "$TMP/out" >"$TMP/out3"
diff -u - "$TMP/out3" >"$TMP/diff" <<EOF2 && ok "the lines name file, line, column and problem" || fail "the lines name file, line, column and problem" "$(cat "$TMP/diff")"
$TMP/bad.yaml:6:29: spec.validationActions[1]: Unsupported value: supported values: "Audit", "Deny", "Warn"
$TMP/bad.yaml:11:17: spec.validations[0].expression: undeclared reference to 'variables.stroy'
$TMP/bad.yaml:13:17: spec.validations[2].expression: 'namespaceObject' is not available in StoryTriggerPolicy (only object, oldObject, request and variables are)
EOF2
[ "$(wc -l <"$TMP/out")" = 4 ] && ok "four problems, four lines" || fail "four problems, four lines" "$(cat "$TMP/out")"
grep -q "^$TMP/bad.yaml:12:17: spec.validations\[1\].expression: [0-9]*:[0-9]*: " "$TMP/out" \
  && ok "a CEL syntax error carries the position inside the expression" \
  || fail "a CEL syntax error carries the position inside the expression" "$(cat "$TMP/out")"

cat >"$TMP/types.yaml" <<'YAML'
apiVersion: policy.storygate.dev/v1alpha1
kind: StoryTriggerPolicy
metadata:
  name: types
spec:
  variables:
  - name: n
    expression: size(object.spec.storyRef.name)
  validations:
  - expression: variables.n + 'x' == 'y'
  - expression: object.spec.storyRef.name
    messageExpression: variables.n
  - expression: object.spec.storyref.name == 'a'
YAML
expect "type errors are found offline, one line each" 1 "" check "$TMP/types.yaml"
diff -u - "$TMP/out" >"$TMP/diff" <<EOF2 && ok "type errors name file, line, column and the CEL error" || fail "type errors name file, line, column and the CEL error" "$(cat "$TMP/diff")"
$TMP/types.yaml:10:17: spec.validations[0].expression: 1:13: found no matching overload for '_+_' applied to '(int, string)'
$TMP/types.yaml:11:17: spec.validations[1].expression: must evaluate to bool
$TMP/types.yaml:12:24: spec.validations[1].messageExpression: must evaluate to string
$TMP/types.yaml:13:17: spec.validations[2].expression: 1:12: undefined field 'storyref'
EOF2

cp "$SG_SOURCE_DIR/deploy/policies/github-keys.yaml" "$TMP/dup.yaml"
expect "a name used twice across files is an error" 1 "" check "$SG_SOURCE_DIR/deploy/policies/github-keys.yaml" "$TMP/dup.yaml"
grep -q "metadata.name: Duplicate value: \"github-keys\"" "$TMP/out" && ok "the duplicate is named" \
  || fail "the duplicate is named" "$(cat "$TMP/out")"

printf 'spec: [\n' >"$TMP/broken.yaml"
expect "broken YAML is reported with its position" 1 "" check "$TMP/broken.yaml"
grep -q "^$TMP/broken.yaml:[0-9]*:[0-9]*: " "$TMP/out" && ok "YAML error line" || fail "YAML error line" "$(cat "$TMP/out")"

expect "a missing file is an error" 1 "" check "$TMP/none.yaml"
grep -q "$TMP/none.yaml" "$TMP/out" && ok "the missing file is named" || fail "the missing file is named" "$(cat "$TMP/out")"
expect "no files is a usage error" 2 "" check
expect "an unknown subcommand is a usage error" 2 "" lint x.yaml

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
