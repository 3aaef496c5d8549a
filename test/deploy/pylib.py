# Shared helpers for the deploy tests' python checks: PASS/FAIL lines and YAML loading.
import sys

import yaml

failures = 0


def ok(cond, desc, detail=""):
    global failures
    if cond:
        print("PASS " + desc)
    else:
        failures += 1
        print("FAIL " + desc + (": " + str(detail) if detail else ""))
    return cond


def load_all(path_or_text, text=False):
    src = path_or_text if text else open(path_or_text, encoding="utf-8").read()
    return [d for d in yaml.safe_load_all(src) if d is not None]


def by_kind(docs):
    out = {}
    for d in docs:
        out.setdefault(d["kind"], []).append(d)
    return out


def one(docs, kind, name=None):
    for d in docs:
        if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name):
            return d
    return None


def done():
    """Exit 0: failures are reported as FAIL lines; a non-zero exit means the checks themselves broke."""
    sys.stdout.flush()
    sys.exit(0)
