#!/usr/bin/env bash
# The Prometheus alert rules load and behave (promtool), and the Grafana dashboard is valid JSON whose panels query
# the metrics storygate exports.
source "$(dirname "$0")/lib.sh"
need promtool
need python3

check "promtool check rules deploy/monitoring/alerts.yaml" promtool check rules deploy/monitoring/alerts.yaml
check "promtool test rules deploy/monitoring/alerts_test.yaml" promtool test rules deploy/monitoring/alerts_test.yaml
check "grafana-dashboard.json parses (python3 -m json.tool)" python3 -m json.tool deploy/monitoring/grafana-dashboard.json

py_checks '
import json, re, yaml
from pylib import ok, done
d = json.load(open("deploy/monitoring/grafana-dashboard.json"))
panels = [p for p in d["panels"] if p["type"] != "row"]
ok(d.get("uid") and d.get("title") and isinstance(d.get("schemaVersion"), int), "dashboard has uid, title, schemaVersion")
ids = [p["id"] for p in d["panels"]]
ok(len(ids) == len(set(ids)), "panel ids are unique")
exprs = {p["title"]: " ".join(t["expr"] for t in p.get("targets", [])) for p in panels}
want = {
    "webhook request rate by code": r"by \([^)]*code[^)]*\) \(rate\(controller_runtime_webhook_requests_total",
    "webhook latency p50": r"histogram_quantile\(0\.5, .*controller_runtime_webhook_latency_seconds_bucket",
    "webhook latency p99": r"histogram_quantile\(0\.99, .*controller_runtime_webhook_latency_seconds_bucket",
    "denials by reason": r"storygate_admission_requests_total\{[^}]*allowed=\"false\"",
    "decisions by decision/reason": r"by \(decision, reason\) \(rate\(storygate_trigger_decisions_total",
    "reconcile errors": r"controller_runtime_reconcile_errors_total",
    "workqueue depth": r"workqueue_depth",
    "certificate expiry": r"storygate_tls_certificate_expiry_timestamp_seconds",
}
alltext = " ".join(exprs.values())
for what, rx in want.items():
    ok(re.search(rx, alltext), "a panel shows %s" % what)
for p in panels:
    ok(p.get("targets") and all(t.get("expr") for t in p["targets"]), "panel %r has queries" % p["title"])
    g = p["gridPos"]
    ok(0 <= g["x"] and g["x"] + g["w"] <= 24, "panel %r fits the 24-column grid" % p["title"])
ok(any(v["type"] == "datasource" for v in d["templating"]["list"]), "the data source is a variable, not hard-wired")

rules = [r for g in yaml.safe_load(open("deploy/monitoring/alerts.yaml"))["groups"] for r in g["rules"]]
names = {r["alert"]: r["expr"] for r in rules}
for name, rx in (("StorygateWebhookLatencyHigh", r"histogram_quantile\(0\.99,.*\) > 1"),
                 ("StorygateAdmissionRejectionRateHigh", r"allowed=\"false\""),
                 ("StorygateReconcileErrors", r"controller_runtime_reconcile_errors_total"),
                 ("StorygateWorkqueueDepthHigh", r"workqueue_depth"),
                 ("StorygateCertificateExpiringSoon", r"storygate_tls_certificate_expiry_timestamp_seconds.*< 14 \* 86400"),
                 ("StorygateNoLeader", r"leader_election_master_status")):
    ok(name in names and re.search(rx, names[name], re.S), "alert %s watches %s" % (name, rx.split("\\")[0]))
ok(all(r.get("labels", {}).get("severity") in ("warning", "critical") and r.get("annotations", {}).get("summary")
       for r in rules), "every alert has a severity and a summary")

# Every metric the dashboard and the alerts query is documented in docs/METRICS.md.
doc = open("docs/METRICS.md").read()
documented = set(re.findall(r"^\| `([a-z_:]+)` \|", doc, re.M))
used = set()
for e in list(exprs.values()) + [r["expr"] for r in rules]:
    for m in re.findall(r"\b((?:storygate|controller_runtime|workqueue|leader_election|certwatcher|rest_client|process)_[a-z_]+)", e):
        used.add(re.sub(r"_(bucket|sum|count)$", "", m))
ok(used and used <= documented, "every metric in the dashboard and alerts is in docs/METRICS.md", sorted(used - documented))
for name in ("storygate_admission_requests_total", "storygate_trigger_decisions_total",
             "storygate_trigger_decision_latency_seconds", "storygate_store_commit_seconds",
             "storygate_tls_certificate_expiry_timestamp_seconds", "storygate_build_info",
             "controller_runtime_webhook_requests_total", "controller_runtime_webhook_latency_seconds",
             "controller_runtime_reconcile_total", "workqueue_depth"):
    ok(name in documented, "docs/METRICS.md documents %s" % name)
ok(any(n.startswith("storygate_policy_") for n in documented), "docs/METRICS.md documents the storygate_policy_* family")
done()
'

summary
