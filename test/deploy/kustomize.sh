#!/usr/bin/env bash
# The kustomize base and the cert-manager overlay render offline and hold the objects, RBAC, probes, security
# settings and webhook registration that docs/DEPLOY.md promises.
source "$(dirname "$0")/lib.sh"
need kubectl
need python3

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

check "kubectl kustomize deploy/ renders" sh -c "kubectl kustomize deploy/ > '$tmp/base.yaml'"
check "kubectl kustomize deploy/overlays/cert-manager renders" \
  sh -c "kubectl kustomize deploy/overlays/cert-manager > '$tmp/cm.yaml'"
check "kubectl kustomize deploy/base renders storygate without CRDs" sh -c "
  kubectl kustomize deploy/base > '$tmp/nocrd.yaml' && ! grep -q '^kind: CustomResourceDefinition' '$tmp/nocrd.yaml' &&
  grep -q '^kind: Deployment' '$tmp/nocrd.yaml'"
check "kubectl kustomize deploy/examples renders" sh -c "kubectl kustomize deploy/examples > '$tmp/examples.yaml'"

py_checks '
import sys, yaml
from pylib import ok, load_all, one, done
base = load_all(sys.argv[1]); cm = load_all(sys.argv[2])
NS = "storygate-system"

want = {"Namespace": 1, "CustomResourceDefinition": 4, "ServiceAccount": 1, "ClusterRole": 4, "ClusterRoleBinding": 1,
        "Role": 1, "RoleBinding": 1, "ConfigMap": 1, "Deployment": 1, "Service": 1, "PodDisruptionBudget": 1,
        "NetworkPolicy": 1, "ValidatingWebhookConfiguration": 1, "MutatingWebhookConfiguration": 1}
kinds = {}
for d in base: kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
for k, n in want.items():
    ok(kinds.get(k) == n, "base renders %d %s" % (n, k), kinds.get(k))
ok(set(kinds) == set(want), "base renders no unexpected kinds", set(kinds) - set(want))
crds = sorted(d["metadata"]["name"] for d in base if d["kind"] == "CustomResourceDefinition")
ok(crds == ["referencegrants.policy.bubustack.io", "stories.bubustack.io", "storyruns.runs.bubustack.io",
            "storytriggers.runs.bubustack.io"], "base carries the four CRDs", crds)
cluster_scoped = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                  "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}
wrong = [d["metadata"]["name"] for d in base if d["kind"] not in cluster_scoped and d["metadata"].get("namespace") != NS]
ok(not wrong, "every namespaced object is in storygate-system", wrong)

def triples(rules):
    return {(g, r, v) for rule in rules for g in rule.get("apiGroups", []) for r in rule.get("resources", [])
            for v in rule.get("verbs", [])}
def expand(spec):
    return {(g, r, v) for g, rs, vs in spec for r in rs for v in vs}
cr = one(base, "ClusterRole", "storygate")
exp = expand([("runs.bubustack.io", ["storytriggers"], ["get", "list", "watch"]),
              ("runs.bubustack.io", ["storytriggers/status"], ["get", "update", "patch"]),
              ("runs.bubustack.io", ["storyruns"], ["get", "list", "watch", "create"]),
              ("bubustack.io", ["stories"], ["get", "list", "watch"]),
              ("policy.bubustack.io", ["referencegrants"], ["get", "list", "watch"]),
              ("", ["namespaces"], ["get", "list", "watch"]),
              ("", ["events"], ["create", "patch"]), ("events.k8s.io", ["events"], ["create", "patch"])])
got = triples(cr["rules"])
ok(got == exp, "ClusterRole storygate grants exactly the verbs of spec 7.1 plus namespaces (namespaceSelector)",
   "extra %s missing %s" % (sorted(got - exp), sorted(exp - got)))
role = one(base, "Role", "storygate-leader-election")
ok(triples(role["rules"]) == expand([("coordination.k8s.io", ["leases"],
   ["get", "list", "watch", "create", "update", "patch", "delete"])]), "leader-election Role covers leases only")
for kind, name, ref in (("ClusterRoleBinding", "storygate", "storygate"),
                        ("RoleBinding", "storygate-leader-election", "storygate-leader-election")):
    b = one(base, kind, name)
    ok(b["roleRef"]["name"] == ref and b["subjects"] == [{"kind": "ServiceAccount", "name": "storygate", "namespace": NS}],
       "%s binds %s to the storygate ServiceAccount" % (kind, ref), b)

dep = one(base, "Deployment", "storygate")
spec = dep["spec"]; pod = spec["template"]["spec"]; c = pod["containers"][0]
ok(spec["replicas"] == 2, "Deployment runs 2 replicas")
ok(spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "rollouts never drop a ready replica")
aa = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
ok(aa and aa[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname", "pods prefer different nodes")
ok(pod["serviceAccountName"] == "storygate", "pods use the storygate ServiceAccount")
ok(c["args"] == ["serve", "--config", "/etc/storygate/config.yaml"], "container args are serve --config", c["args"])
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
ok(ports == {"https": 9443, "metrics": 8080}, "container ports https 9443 and metrics 8080", ports)
for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez"), ("startupProbe", "/livez")):
    g = c[probe]["httpGet"]
    ok(g["path"] == path and g["scheme"] == "HTTPS" and ports.get(g["port"], g["port"]) == 9443,
       "%s is HTTPS GET %s on 9443" % (probe, path), g)
sc = c["securityContext"]; psc = pod["securityContext"]
ok(sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False and
   sc["capabilities"]["drop"] == ["ALL"], "container: read-only root, no privilege escalation, no capabilities")
ok(psc["runAsNonRoot"] is True and psc["runAsUser"] == 65532 and psc["seccompProfile"]["type"] == "RuntimeDefault",
   "pod: non-root uid 65532 with the RuntimeDefault seccomp profile")
r = c["resources"]
ok(all(k in r.get("requests", {}) for k in ("cpu", "memory")) and all(k in r.get("limits", {}) for k in ("cpu", "memory")),
   "container sets cpu/memory requests and limits", r)
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
tls = mounts.get("/etc/storygate/tls")
ok(tls and vols[tls["name"]].get("secret", {}).get("secretName") == "storygate-tls" and tls.get("readOnly"),
   "Secret storygate-tls is mounted read-only at /etc/storygate/tls")
cfgm = mounts.get("/etc/storygate/config.yaml")
cm_name = vols[cfgm["name"]]["configMap"]["name"] if cfgm else None
cmap = one(base, "ConfigMap", cm_name)
ok(cmap is not None and cfgm["subPath"] == "config.yaml", "config.yaml comes from the rendered ConfigMap", cm_name)
cfg = yaml.safe_load(cmap["data"]["config.yaml"]) if cmap else {}
ok(cfg.get("listen") == "0.0.0.0:9443" and cfg.get("store") == "kube" and cfg.get("metrics", {}).get("listen") == ":8080",
   "cluster config: listen 0.0.0.0:9443, store kube, metrics :8080", cfg)
ok(cfg.get("tls", {}).get("certFile", "").startswith("/etc/storygate/tls/") and
   cfg.get("tls", {}).get("keyFile", "").startswith("/etc/storygate/tls/"), "config points at the mounted certificate")
ok(all(m["mountPath"] in ("/etc/storygate/tls", "/etc/storygate/config.yaml") or
       "emptyDir" in vols[m["name"]] for m in c["volumeMounts"]), "every other writable path is an emptyDir")
delay = cfg.get("http", {}).get("shutdownDelaySeconds", 0) + cfg.get("http", {}).get("shutdownTimeoutSeconds", 25)
ok(delay < pod.get("terminationGracePeriodSeconds", 30), "shutdown delay + drain fits the grace period")

labels = spec["template"]["metadata"]["labels"]
def selects(sel): return all(labels.get(k) == v for k, v in sel.items())
ok(selects(spec["selector"]["matchLabels"]), "Deployment selector matches its pods")
svc = one(base, "Service", "storygate")
ok(selects(svc["spec"]["selector"]), "Service selects the pods")
sp = {p["name"]: (p["port"], p["targetPort"]) for p in svc["spec"]["ports"]}
ok(sp.get("https") == (443, "https") and sp.get("metrics") == (8080, "metrics"), "Service maps 443->9443 and 8080", sp)
pdb = one(base, "PodDisruptionBudget", "storygate")
ok(pdb["spec"]["minAvailable"] == 1 and selects(pdb["spec"]["selector"]["matchLabels"]), "PDB keeps 1 pod available")
np = one(base, "NetworkPolicy", "storygate")
ing = np["spec"]["ingress"]
open_9443 = [r for r in ing if "from" not in r and any(p["port"] == 9443 for p in r["ports"])]
mon_8080 = [r for r in ing if any(p["port"] == 8080 for p in r["ports"]) and r.get("from") and
            all("namespaceSelector" in f for f in r["from"])]
ok(selects(np["spec"]["podSelector"]["matchLabels"]) and open_9443 and mon_8080,
   "NetworkPolicy: 9443 from anywhere, 8080 only from the monitoring namespace")

for kind, name, path in (("ValidatingWebhookConfiguration", "storygate-validating-webhook", "/validate"),
                         ("MutatingWebhookConfiguration", "storygate-mutating-webhook", "/mutate")):
    w = one(base, kind, name)["webhooks"]
    ok(len(w) == 1, "%s has one webhook" % kind)
    w = w[0]
    s = w["clientConfig"]["service"]
    ok(s == {"name": "storygate", "namespace": NS, "path": path, "port": 443}, "%s calls storygate:443%s" % (kind, path), s)
    ok(w["rules"] == [{"apiGroups": ["runs.bubustack.io"], "apiVersions": ["v1alpha1"], "operations": ["CREATE", "UPDATE"],
                       "resources": ["storytriggers"], "scope": "Namespaced"}], "%s matches storytriggers CREATE/UPDATE" % kind)
    ok(w["sideEffects"] == "NoneOnDryRun" and w["failurePolicy"] == "Fail" and w["admissionReviewVersions"] == ["v1"]
       and w["timeoutSeconds"] == 5 and w["matchPolicy"] == "Equivalent", "%s: NoneOnDryRun, Fail, v1, 5 s, Equivalent" % kind)
    ok(w["namespaceSelector"] == {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                                                         "values": ["kube-system", NS]}]},
       "%s skips kube-system and storygate-system" % kind)
    ok("caBundle" not in w["clientConfig"], "%s commits no caBundle" % kind)
    if kind.startswith("Mutating"):
        ok(w["reinvocationPolicy"] == "Never", "mutating webhook is never reinvoked")
    else:
        ok(w["name"] == "vstorytrigger-v1alpha1.kb.io", "validating webhook keeps the reference name for identical denials")

# cert-manager overlay
cert = one(cm, "Certificate")
iss = one(cm, "Issuer")
ok(cert is not None and iss is not None, "overlay adds an Issuer and a Certificate")
if cert:
    ok(cert["spec"]["secretName"] == "storygate-tls", "Certificate writes Secret storygate-tls")
    ok({"storygate.%s.svc" % NS, "storygate.%s.svc.cluster.local" % NS} <= set(cert["spec"]["dnsNames"]),
       "Certificate names the Service", cert["spec"]["dnsNames"])
    ok(cert["spec"]["issuerRef"]["name"] == iss["metadata"]["name"], "Certificate uses the overlay Issuer")
    ref = "%s/%s" % (cert["metadata"]["namespace"], cert["metadata"]["name"])
    for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        a = one(cm, kind)["metadata"].get("annotations", {})
        ok(a.get("cert-manager.io/inject-ca-from") == ref, "%s gets its CA injected from %s" % (kind, ref), a)
ok(len(cm) == len(base) + 2, "overlay keeps every base object")

# The config keys exist in the config module key table (when it is present).
import os, re
keys_c = os.path.join(os.environ.get("SG_SOURCE_DIR", "."), "src/config/keys.c")
if os.path.exists(keys_c):
    known = set(re.findall(r"^\s*\{\"([A-Za-z0-9.]+)\",", open(keys_c).read(), re.M))
    def leaves(d, p=""):
        for k, v in d.items():
            if isinstance(v, dict): yield from leaves(v, p + k + ".")
            else: yield p + k
    unknown = [k for k in leaves(cfg) if k not in known]
    ok(not unknown, "every cluster config key is known to src/config", unknown)
done()
' "$tmp/base.yaml" "$tmp/cm.yaml"

summary
