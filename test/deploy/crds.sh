#!/usr/bin/env bash
# The CRD schemas say what spec §1 says (names, constraints, CEL rules byte for byte), deploy/crds/ is an exact copy
# of schemas/, and the example objects validate against them.
source "$(dirname "$0")/lib.sh"
need python3

check "deploy/crds/ is identical to schemas/ (scripts/sync-crds.sh --check)" scripts/sync-crds.sh --check
check "deploy/crds/kustomization.yaml lists every schema" sh -c '
  for f in schemas/*.yaml; do grep -qx -- "- $(basename "$f")" deploy/crds/kustomization.yaml || { echo "missing $f"; exit 1; }; done'

py_checks '
import glob, re
from pylib import ok, load_all, done

crds = {}
for f in sorted(glob.glob("schemas/*.yaml")):
    docs = load_all(f)
    ok(len(docs) == 1 and docs[0]["kind"] == "CustomResourceDefinition" and
       docs[0]["apiVersion"] == "apiextensions.k8s.io/v1", "%s is one apiextensions.k8s.io/v1 CRD" % f)
    d = docs[0]
    crds[d["spec"]["names"]["kind"]] = d
    ok(f.endswith("%s_%s.yaml" % (d["spec"]["group"], d["spec"]["names"]["plural"])), "%s is named group_plural" % f)
ok(sorted(crds) == ["ReferenceGrant", "Story", "StoryRun", "StoryTrigger"], "four CRDs", sorted(crds))

def names(kind, group, plural, singular, short, cats, status=True):
    d = crds[kind]; s = d["spec"]; n = s["names"]
    ok(d["metadata"]["name"] == plural + "." + group and s["group"] == group and s["scope"] == "Namespaced",
       "%s: %s.%s, namespaced" % (kind, plural, group))
    ok(n["plural"] == plural and n["singular"] == singular and n["shortNames"] == short and n["categories"] == cats and
       n["listKind"] == kind + "List", "%s: names, shortNames %s, categories %s" % (kind, short, cats), n)
    v = s["versions"]
    ok(len(v) == 1 and v[0]["name"] == "v1alpha1" and v[0]["served"] and v[0]["storage"], "%s: v1alpha1 served+storage" % kind)
    ok((v[0].get("subresources") == {"status": {}}) == status, "%s: status subresource %s" % (kind, status))
    return v[0], v[0]["schema"]["openAPIV3Schema"]

def at(schema, path):
    for p in path.split("."):
        schema = schema["items"] if p == "[]" else schema["properties"][p]
    return schema

DNS = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
COND_TYPE = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
def field(schema, path, **want):
    s = at(schema, path)
    bad = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
    ok(not bad, "%s %s" % (path, " ".join("%s=%s" % kv for kv in sorted(want.items()) if kv[0] != "pattern") +
                          (" pattern" if "pattern" in want else "")), bad)
def conditions(kind, schema, path):
    c = at(schema, path)
    ok(c["type"] == "array" and c.get("x-kubernetes-list-type") == "map" and c.get("x-kubernetes-list-map-keys") == ["type"],
       "%s %s is a list map keyed by type" % (kind, path))
    i = c["items"]
    ok(sorted(i["required"]) == ["lastTransitionTime", "message", "reason", "status", "type"], "%s condition required fields" % kind)
    p = i["properties"]
    ok(p["type"].get("maxLength") == 316 and p["type"].get("pattern") == COND_TYPE, "%s condition type constraints" % kind)
    ok(p["status"]["enum"] == ["True", "False", "Unknown"], "%s condition status enum" % kind)
    ok(p["reason"].get("minLength") == 1 and p["reason"].get("maxLength") == 1024 and
       p["reason"].get("pattern") == "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", "%s condition reason constraints" % kind)
    ok(p["message"].get("maxLength") == 32768 and p["observedGeneration"].get("minimum") == 0 and
       p["observedGeneration"].get("format") == "int64" and p["lastTransitionTime"].get("format") == "date-time",
       "%s condition message/observedGeneration/lastTransitionTime" % kind)
def ref(schema, path, version=True):
    field(schema, path, type="object", required=["name"])
    field(schema, path + ".name", type="string", minLength=1, maxLength=253, pattern=DNS)
    field(schema, path + ".namespace", type="string", maxLength=63, pattern=DNS)
    field(schema, path + ".uid", type="string")
    if version:
        field(schema, path + ".version", type="string", maxLength=64)
def rules(kind, schema, path, expect):
    got = [(r["rule"], r["message"]) for r in at(schema, path).get("x-kubernetes-validations", [])]
    ok(got == expect, "%s %s CEL rules are exactly spec 1" % (kind, path), got)

# 1.1 StoryTrigger
v, s = names("StoryTrigger", "runs.bubustack.io", "storytriggers", "storytrigger", ["trig"], ["bubu", "ai", "runs"])
ok([(c["name"], c["jsonPath"], c["type"]) for c in v["additionalPrinterColumns"]] == [
    ("Story", ".spec.storyRef.name", "string"), ("Decision", ".status.decision", "string"),
    ("StoryRun", ".status.storyRunRef.name", "string"), ("Age", ".metadata.creationTimestamp", "date")],
   "StoryTrigger printer columns")
ok(s["required"] == ["spec"], "StoryTrigger requires spec")
ok(sorted(at(s, "spec")["required"]) == ["deliveryIdentity", "storyRef"], "spec requires deliveryIdentity and storyRef")
ref(s, "spec.storyRef"); ref(s, "spec.impulseRef")
field(s, "spec.inputs", type="object", **{"x-kubernetes-preserve-unknown-fields": True})
field(s, "spec.deliveryIdentity", type="object", required=["submissionId"])
field(s, "spec.deliveryIdentity.mode", type="string", enum=["none", "token", "key"])
field(s, "spec.deliveryIdentity.key", type="string", maxLength=256)
field(s, "spec.deliveryIdentity.inputHash", type="string", maxLength=64)
field(s, "spec.deliveryIdentity.submissionId", type="string", minLength=1, maxLength=253)
ok(sorted(at(s, "spec")["properties"]) == ["deliveryIdentity", "impulseRef", "inputs", "storyRef"], "spec has exactly the spec 1.1 fields")
field(s, "status.observedGeneration", type="integer", format="int64")
field(s, "status.decision", type="string", enum=["Pending", "Created", "Reused", "Rejected"])
field(s, "status.reason", type="string"); field(s, "status.message", type="string")
ok("maxLength" not in at(s, "status.message"), "status.message has no maxLength")
ref(s, "status.storyRunRef", version=False)
field(s, "status.acceptedAt", type="string", format="date-time")
field(s, "status.completedAt", type="string", format="date-time")
conditions("StoryTrigger", s, "status.conditions")
R64 = ("!has(self.conditions) || self.conditions.all(c, !has(c.reason) || size(c.reason) <= 64)",
       "status.conditions reason field must be <= 64 characters")
M2048 = ("!has(self.conditions) || self.conditions.all(c, !has(c.message) || size(c.message) <= 2048)",
         "status.conditions message field must be <= 2048 characters")
rules("StoryTrigger", s, "status", [R64, M2048])
rules("StoryTrigger", s, "spec", [])

# 1.2 StoryRun
v, s = names("StoryRun", "runs.bubustack.io", "storyruns", "storyrun", ["srun"], ["bubu", "ai", "runs"])
ok(v.get("selectableFields") == [{"jsonPath": ".spec.storyRef.name"}, {"jsonPath": ".status.phase"}], "StoryRun selectableFields")
ok(s["required"] == ["spec"] and at(s, "spec")["required"] == ["storyRef"], "StoryRun requires spec and spec.storyRef")
ref(s, "spec.storyRef"); ref(s, "spec.impulseRef")
field(s, "spec.inputs", type="object", **{"x-kubernetes-preserve-unknown-fields": True})
field(s, "spec.cancelRequested", type="boolean")
field(s, "status.phase", type="string")
conditions("StoryRun", s, "status.conditions")
rules("StoryRun", s, "status", [
    ("!has(self.conditions) || self.conditions.exists(c, c.type == \x27Ready\x27)",
     "status.conditions must include Ready when conditions are set"),
    ("!has(self.conditions) || self.conditions.all(c, has(c.lastTransitionTime))",
     "status.conditions entries must set lastTransitionTime"), R64, M2048])

# 1.3 Story
v, s = names("Story", "bubustack.io", "stories", "story", ["story"], ["bubu", "ai", "workflows"])
field(s, "spec.version", type="string", maxLength=64)
ok(at(s, "spec")["required"] == ["steps"], "Story spec requires steps")
field(s, "spec.steps", type="array", minItems=1, maxItems=100)
field(s, "spec.pattern", type="string", enum=["batch", "realtime"], default="batch")
for p in ("inputsSchema", "outputsSchema", "output"):
    field(s, "spec." + p, type="object", **{"x-kubernetes-preserve-unknown-fields": True})
for p in ("steps", "compensations", "finally"):
    if p != "steps":
        field(s, "spec." + p, type="array", maxItems=50)
    field(s, "spec.%s.[].name" % p, type="string", minLength=1, maxLength=63, pattern=DNS)
    field(s, "spec.%s.[].ref" % p, type="object", required=["name"])
    field(s, "spec.%s.[].type" % p, type="string",
          enum=["condition", "parallel", "sleep", "stop", "wait", "executeStory", "gate"])
rules("Story", s, "spec", [
    ("self.steps.all(step, has(step.ref) != has(step.type))", "each step must set exactly one of ref or type"),
    ("self.steps.all(step, self.steps.exists_one(other, other.name == step.name))", "step names must be unique")])

# 1.4 ReferenceGrant
v, s = names("ReferenceGrant", "policy.bubustack.io", "referencegrants", "referencegrant", ["refgrant"], ["bubu", "ai"])
ok(sorted(at(s, "spec")["required"]) == ["from", "to"], "ReferenceGrant spec requires from and to")
field(s, "spec.from", type="array", minItems=1); field(s, "spec.to", type="array", minItems=1)
ok(sorted(at(s, "spec.from.[]")["required"]) == ["group", "kind", "namespace"], "from[] requires group, kind, namespace")
ok(sorted(at(s, "spec.to.[]")["required"]) == ["group", "kind"], "to[] requires group and kind")
field(s, "spec.from.[].group", type="string", minLength=1, maxLength=253)
field(s, "spec.from.[].kind", type="string", minLength=1, maxLength=63)
field(s, "spec.from.[].namespace", type="string", minLength=1, maxLength=63, pattern=DNS)
field(s, "spec.to.[].group", type="string", minLength=1, maxLength=253)
field(s, "spec.to.[].kind", type="string", minLength=1, maxLength=63)
field(s, "spec.to.[].name", type="string", maxLength=253, pattern=DNS)
conditions("ReferenceGrant", s, "status.conditions")

# Structural: every schema node has a type (the apiserver refuses non-structural CRDs); patterns compile.
def walk(node, path, out):
    if "type" not in node and not node.get("x-kubernetes-int-or-string"):
        out.append(path)
    if "pattern" in node:
        try: re.compile(node["pattern"])
        except re.error: out.append(path + " (pattern)")
    for k, sub in node.get("properties", {}).items():
        walk(sub, path + "." + k, out)
    if "items" in node:
        walk(node["items"], path + "[]", out)
for kind, d in crds.items():
    bad = []
    walk(d["spec"]["versions"][0]["schema"]["openAPIV3Schema"], kind, bad)
    ok(not bad, "%s schema is structural (a type on every node)" % kind, bad)
done()
'

# The raw text of the CEL rules uses the folded single-quoted form of spec §1 (the validator reads this file).
check "StoryTrigger rules are folded single-quoted scalars as in spec 1.1" grep -qzF \
"              rule: '!has(self.conditions) || self.conditions.all(c, !has(c.reason)
                || size(c.reason) <= 64)'" schemas/runs.bubustack.io_storytriggers.yaml
check "StoryRun Ready rule folds with a doubled quote as in spec 1.2" grep -qzF \
"              rule: '!has(self.conditions) || self.conditions.exists(c, c.type ==
                ''Ready'')'" schemas/runs.bubustack.io_storyruns.yaml
check "Story uniqueness rule folds as in spec 1.3" grep -qzF \
"              rule: self.steps.all(step, self.steps.exists_one(other, other.name ==
                step.name))" schemas/bubustack.io_stories.yaml

summary
