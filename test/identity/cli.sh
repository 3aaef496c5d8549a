#!/usr/bin/env bash
# Pipes every case of vectors.json through `storygate identity` and compares hashes, errors and names byte for byte.
set -u
SG_BIN=${SG_BIN:-storygate}
DATA=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$DATA/vectors.json" "$tmp/in.jsonl" "$tmp/want.jsonl" <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as fin, open(sys.argv[3], "w") as fwant:
    for c in cases:
        line = {k: c[k] for k in ("storyNamespace", "storyName", "key", "submissionId") if k in c}
        if "inputsRawBase64" in c:
            line["inputsRawBase64"] = c["inputsRawBase64"]
        elif "inputsRaw" in c:
            line["inputsRaw"] = c["inputsRaw"]
        fin.write(json.dumps(line) + "\n")
        want = {"name": c["name"]}
        for k in ("inputHash", "errorMessage", "storyTriggerName", "storyRunName",
                  "storyTriggerNameBase64", "storyRunNameBase64"):
            if k in c:
                want[k] = c[k]
        fwant.write(json.dumps(want) + "\n")
PY

if ! "$SG_BIN" identity <"$tmp/in.jsonl" >"$tmp/out.jsonl" 2>"$tmp/err"; then
    echo "storygate identity exited non-zero:"; cat "$tmp/err"
fi

python3 - "$tmp/want.jsonl" "$tmp/out.jsonl" "$SG_BIN" <<'PY'
import json, sys
want = [json.loads(l) for l in open(sys.argv[1])]
got_lines = open(sys.argv[2], "rb").read().split(b"\n")
got_lines = [l for l in got_lines if l]
passed = failed = 0
def check(ok, name, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s: %s" % (name, what))
check(len(got_lines) == len(want), "count", "%d output lines for %d cases" % (len(got_lines), len(want)))
for w, raw in zip(want, got_lines):
    try:
        g = json.loads(raw)
    except ValueError as e:
        check(False, w["name"], "output is not JSON: %r" % raw)
        continue
    if "errorMessage" in w:
        check(g.get("error") == w["errorMessage"], w["name"], "error %r, want %r" % (g.get("error"), w["errorMessage"]))
        check("inputHash" not in g, w["name"], "inputHash present on error")
    else:
        check(g.get("inputHash") == w["inputHash"], w["name"], "inputHash %r" % g.get("inputHash"))
    for f in ("storyTriggerName", "storyRunName"):
        check(g.get(f) == w[f], w["name"], "%s %r, want %r" % (f, g.get(f), w[f]))
        check(g.get(f + "Base64") == w.get(f + "Base64"), w["name"], "%sBase64 differs" % f)
# A byte cut through a multi-byte character: the trigger name is not valid UTF-8 and comes back as base64.
import base64, hashlib, subprocess
story = "a" * 227 + "\u00e9" + "b"
line = json.dumps({"storyNamespace": "ns", "storyName": story, "key": "k", "submissionId": "s", "inputsRaw": "{}"})
out = json.loads(subprocess.run([sys.argv[3], "identity"], input=line.encode(), capture_output=True).stdout)
h = hashlib.sha1(("ns/" + story + "/k").encode()).hexdigest()[:16]
want = story.encode()[:228] + b"-trigger-" + h.encode()
check(out.get("storyTriggerName") == "" and base64.b64decode(out.get("storyTriggerNameBase64", "")) == want,
      "base64-trigger-name", repr(out))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
