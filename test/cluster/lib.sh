#!/usr/bin/env bash
# Shared helpers of the cluster-mode script tests: the standalone apiserver double ($SG_FAKEAPI) with a kubeconfig
# for it, several `storygate serve --set store=kube` processes on free loopback ports, REST calls to the double, and
# StoryTriggers whose names and hashes come from `storygate identity`. Everything started is killed on exit.
#
#   fake_start                      # starts the double; sets FAKE_URL, FAKE_PID, KUBECONFIG_FILE
#   kapi METHOD PATH [FILE]         # request to the double; sets K_STATUS and K_BODY
#   sg_up NAME [serve flags...]     # starts storygate NAME; sets PORT_<NAME>, PID_<NAME>; waits for /readyz
#   sg_kill NAME [SIGNAL]           # signals NAME (default TERM) and waits for it to exit
#   leader_status NAME              # prints leader_election_master_status of NAME (1, 0 or "")
#   make_triggers NS STORY PREFIX N # POSTs N keyed triggers (keys PREFIX-1..N) to the double
#   pass NAME; fail NAME WHY; summary
set -uo pipefail

SG_SOURCE_DIR="${SG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SG_BINARY_DIR="${SG_BINARY_DIR:-$SG_SOURCE_DIR/build}"
SG_BIN="${SG_BIN:-$SG_BINARY_DIR/storygate}"
SG_FAKEAPI="${SG_FAKEAPI:-$SG_BINARY_DIR/test/fakeapi}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$SG_SOURCE_DIR/test/integration/lsan-h2o.supp:print_suppressions=0}"
T_DIR="$(mktemp -d "${TMPDIR:-/tmp}/storygate-cluster.XXXXXX")"
FAKE_TOKEN="token-$RANDOM$RANDOM"
FAKE_URL=""
FAKE_PID=""
KUBECONFIG_FILE="$T_DIR/kubeconfig"
K_STATUS=""
K_BODY=""
PASSED=0
FAILED=0
declare -A SG_PIDS=()

cleanup() {
  local n
  for n in "${!SG_PIDS[@]}"; do kill -KILL "${SG_PIDS[$n]}" 2>/dev/null; wait "${SG_PIDS[$n]}" 2>/dev/null; done
  if [ -n "$FAKE_PID" ]; then kill -TERM "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; fi
  rm -rf "$T_DIR"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL - $1: ${2:-}"
  local f
  for f in "$T_DIR"/*.log; do [ -f "$f" ] && { echo "  $(basename "$f") (last 5 lines):"; tail -5 "$f" | cut -c1-300 | sed 's/^/    /'; }; done
}
summary() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
}

fake_start() {
  [ -x "$SG_FAKEAPI" ] || { echo "apiserver double not found at $SG_FAKEAPI" >&2; return 1; }
  mkdir -p "$T_DIR/fake"
  "$SG_FAKEAPI" --dir "$T_DIR/fake" --token "$FAKE_TOKEN" --max-seconds 600 2>"$T_DIR/fakeapi.log" &
  FAKE_PID=$!
  local i
  for i in $(seq 1 100); do [ -f "$T_DIR/fake/url" ] && break; sleep 0.05; done
  [ -f "$T_DIR/fake/url" ] || { echo "the apiserver double did not start" >&2; return 1; }
  FAKE_URL="$(cat "$T_DIR/fake/url")"
  cat >"$KUBECONFIG_FILE" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: $FAKE_URL
    certificate-authority: fake/ca.crt
users:
- name: storygate
  user:
    token: $FAKE_TOKEN
contexts:
- name: fake
  context:
    cluster: fake
    user: storygate
    namespace: storygate-system
current-context: fake
YAML
}

kapi() {
  local method="$1" path="$2" file="${3:-}" out="$T_DIR/kapi.out" args=()
  [ -n "$file" ] && args+=(-H "Content-Type: application/json" --data-binary "@$file")
  K_STATUS="$(curl -sS --max-time 10 --cacert "$T_DIR/fake/ca.crt" -H "Authorization: Bearer $FAKE_TOKEN" \
    -o "$out" -w '%{http_code}' -X "$method" "${args[@]+"${args[@]}"}" "$FAKE_URL$path" 2>/dev/null)"
  K_BODY="$(cat "$out" 2>/dev/null)"
}

# kapi_history PATH [FROM_RV]: the event history of a resource after FROM_RV (default: all of it; the double keeps it
# until compacted), one JSON event per line.
kapi_history() {
  curl -sS --max-time 10 --cacert "$T_DIR/fake/ca.crt" -H "Authorization: Bearer $FAKE_TOKEN" \
    "$FAKE_URL$1?watch=true&resourceVersion=${2:-1}&timeoutSeconds=1" 2>/dev/null
}

sg_up() {
  local name="$1" log="$T_DIR/$1.log" i line
  shift
  [ -f "$T_DIR/certs/tls.crt" ] || "$SG_SOURCE_DIR/certs/gen-certs.sh" "$T_DIR/certs" >/dev/null 2>&1 \
    || { echo "cannot generate certificates" >&2; return 1; }
  : >"$log"
  (cd "$T_DIR" && exec "$SG_BIN" serve --listen 127.0.0.1:0 --tls-cert certs/tls.crt --tls-key certs/tls.key \
    --set store=kube --kubeconfig kubeconfig --set log.level=info "$@" >>"$log" 2>&1) &
  SG_PIDS[$name]=$!
  printf -v "PID_$name" '%s' "$!"
  for i in $(seq 1 100); do
    line="$(grep -m1 '"msg":"listening"' "$log" 2>/dev/null || true)"
    [ -n "$line" ] && break
    kill -0 "${SG_PIDS[$name]}" 2>/dev/null || { echo "storygate $name exited early:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$line" ] || { echo "storygate $name did not start listening" >&2; return 1; }
  printf -v "PORT_$name" '%s' "$(jq -r .port <<<"$line")"
  local port
  port="$(jq -r .port <<<"$line")"
  for i in $(seq 1 100); do
    [ "$(curl -sS --max-time 5 --cacert "$T_DIR/certs/ca.crt" -o /dev/null -w '%{http_code}' \
      "https://127.0.0.1:$port/readyz" 2>/dev/null)" = 200 ] && return 0
    sleep 0.1
  done
  echo "storygate $name never became ready" >&2
  return 1
}

sg_kill() {
  local name="$1" sig="${2:-TERM}" pid="${SG_PIDS[$1]:-}" i
  [ -n "$pid" ] || return 0
  kill "-$sig" "$pid" 2>/dev/null
  for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "SG_PIDS[$name]"
}

sg_get() {
  local port="$1" path="$2"
  curl -sS --max-time 5 --cacert "$T_DIR/certs/ca.crt" "https://127.0.0.1:$port$path" 2>/dev/null
}

leader_status() {
  local port_var="PORT_$1"
  sg_get "${!port_var}" /metrics | awk '/^leader_election_master_status\{name="storygate-leader"\}/ {print $2}'
}

# make_triggers NS STORY PREFIX N: one `storygate identity` call for all names, then one POST per trigger.
make_triggers() {
  local ns="$1" story="$2" prefix="$3" n="$4" i lines line
  lines="$(for i in $(seq 1 "$n"); do
    jq -cn --arg ns "$ns" --arg s "$story" --arg k "$prefix-$i" --arg in "{\"n\":$i}" \
      '{storyNamespace:$ns, storyName:$s, key:$k, submissionId:("sub-" + $k), inputsRaw:$in}'
  done | "$SG_BIN" identity)"
  i=0
  while IFS= read -r line; do
    i=$((i + 1))
    jq -cn --arg ns "$ns" --arg s "$story" --arg k "$prefix-$i" --argjson in "{\"n\":$i}" \
      --arg name "$(jq -r .storyTriggerName <<<"$line")" --arg h "$(jq -r .inputHash <<<"$line")" \
      '{apiVersion:"runs.bubustack.io/v1alpha1", kind:"StoryTrigger", metadata:{name:$name, namespace:$ns},
        spec:{storyRef:{name:$s}, inputs:$in, deliveryIdentity:{mode:"token", key:$k, submissionId:("sub-" + $k), inputHash:$h}}}' \
      >"$T_DIR/trigger.json"
    kapi POST "/apis/runs.bubustack.io/v1alpha1/namespaces/$ns/storytriggers" "$T_DIR/trigger.json"
    [ "$K_STATUS" = 201 ] || { echo "creating trigger $prefix-$i: $K_STATUS $K_BODY" >&2; return 1; }
  done <<<"$lines"
  [ "$i" = "$n" ]
}

# count_decided NS PREFIX: triggers whose spec key starts with PREFIX- and whose decision is Created.
count_decided() {
  kapi GET "/apis/runs.bubustack.io/v1alpha1/namespaces/$1/storytriggers"
  jq --arg p "$2-" '[.items[] | select(.spec.deliveryIdentity.key | startswith($p))
    | select(.status.decision == "Created")] | length' <<<"$K_BODY" 2>/dev/null || echo -1
}

# wait_decided NS PREFIX N SECONDS: polls until N triggers of PREFIX are Created.
wait_decided() {
  local i
  for i in $(seq 1 $(($4 * 10))); do
    [ "$(count_decided "$1" "$2")" -ge "$3" ] && return 0
    sleep 0.1
  done
  return 1
}
