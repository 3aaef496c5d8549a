#!/usr/bin/env bash
# Every YAML and JSON file under deploy/ and schemas/ parses, and every Kubernetes object in them has apiVersion,
# kind and metadata.name. (Offline: `kubectl create --dry-run=client` would need a server.)
source "$(dirname "$0")/lib.sh"
need python3

py_checks '
import glob, json, yaml
from pylib import ok, done
files = sorted(set(glob.glob("deploy/**/*.yaml", recursive=True) + glob.glob("deploy/**/*.yml", recursive=True) +
                   glob.glob("schemas/**/*.yaml", recursive=True)))
ok(len(files) >= 20, "found the YAML files (%d)" % len(files))
for f in files:
    try:
        docs = [d for d in yaml.safe_load_all(open(f, encoding="utf-8")) if d is not None]
    except yaml.YAMLError as e:
        ok(False, "%s parses as YAML" % f, str(e).replace("\n", " ")); continue
    ok(docs, "%s parses as YAML" % f)
    if f.endswith("kustomization.yaml"):
        continue
    # Config files and rule files are plain YAML; anything with a kind is a Kubernetes object.
    objs = [d for d in docs if isinstance(d, dict) and "kind" in d]
    if not objs:
        continue
    bad = [i for i, d in enumerate(docs) if not (isinstance(d, dict) and d.get("apiVersion") and d.get("kind")
                                                and d.get("metadata", {}).get("name"))]
    ok(not bad, "%s: every document is a Kubernetes object with a name" % f, bad)
for f in sorted(glob.glob("deploy/**/*.json", recursive=True)):
    try:
        json.load(open(f, encoding="utf-8")); ok(True, "%s parses as JSON" % f)
    except ValueError as e:
        ok(False, "%s parses as JSON" % f, e)
done()
'
summary
