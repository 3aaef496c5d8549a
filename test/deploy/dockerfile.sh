#!/usr/bin/env bash
# The Dockerfile builds on Debian 12 with CMake and runs as uid 65532 with only runtime libraries; .dockerignore
# keeps keys and build trees out of the context. Set SG_DOCKER_BUILD=1 (with a reachable daemon) to build it too.
source "$(dirname "$0")/lib.sh"
need python3

py_checks '
import re, subprocess, yaml
from pylib import ok, done
text = open("Dockerfile").read()
lines = [l for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.lstrip().startswith("#")]
stages, cur = [], None
for l in lines:
    m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", l, re.I)
    if m:
        cur = {"image": m.group(1), "name": m.group(2), "lines": []}; stages.append(cur)
    elif cur is not None:
        cur["lines"].append(l)
ok(len(stages) == 2 and all(s["image"] == "debian:bookworm-slim" for s in stages), "two stages on debian:bookworm-slim")
build, run = stages[0]["lines"], stages[-1]["lines"]
ok(any("cmake -S" in l for l in build) and any("cmake --build" in l for l in build), "the build stage builds with CMake")
ok(not any("|| true" in l for l in build), "no build failure is masked")
pk = " ".join(l for l in run if "apt-get install" in l)
ok(pk and not re.search(r"\S+-dev\b|build-essential|cmake", pk), "the runtime stage installs no compilers or -dev packages", pk)
ok(any(re.match(r"USER\s+65532(:65532)?$", l) for l in run), "the image runs as uid 65532")
ent = [l for l in run if l.startswith("ENTRYPOINT")]
ok(ent == ["ENTRYPOINT [\"/usr/local/bin/storygate\", \"serve\"]"], "ENTRYPOINT is storygate serve", ent)
ok(any(re.match(r"COPY --from=\S+ \S*/storygate /usr/local/bin/storygate", l) for l in run), "the binary goes to /usr/local/bin")

# Each -dev package the build needs has its runtime library in the final stage (when apt-cache knows them).
dev = re.findall(r"\blib[\w.+-]+-dev\b", " ".join(l for l in build if "apt-get install" in l))
missing = []
for d in dev:
    try:
        out = subprocess.run(["apt-cache", "depends", d], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        continue
    rt = [m for m in re.findall(r"Depends: (\S+)", out) if not m.endswith("-dev")]
    if rt and not any(r in pk.split() for r in rt):
        missing.append((d, rt))
ok(not missing, "every -dev build dependency has its runtime library installed", missing)

dep = yaml.safe_load(open("deploy/base/manager/deployment.yaml"))
c = dep["spec"]["template"]["spec"]["containers"][0]
ok(c["command"] == ["/usr/local/bin/storygate"], "the Deployment runs the binary the image installs")
ok(dep["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 65532, "the Deployment runs as the image user")

ign = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
ok(ign[0] == "*", ".dockerignore starts by excluding everything")
allowed = [l[1:].rstrip("/") for l in ign if l.startswith("!")]
ok(not any(a.startswith(("certs", "build", "var", ".git")) for a in allowed), "keys, builds and .git stay out of the context", allowed)
copied = re.findall(r"^COPY (?!--from)(.+) \S+$", "\n".join(build + run), re.M)
srcs = [s.rstrip("/") for c in copied for s in c.split()]
ok(all(any(s == a or s.startswith(a + "/") for a in allowed) for s in srcs), "everything COPY reads is in the context", srcs)
done()
'

# The build stage's configure step, run on exactly what its COPY lines put in the context (no docker needed): a
# directory CMake reads but the image does not copy fails here.
configure_context() {
  local tmp rc=0 cmd
  tmp="$(mktemp -d)"
  python3 - "$tmp" <<'PY' || rc=1
import re, shutil, sys, os
tmp = sys.argv[1]
text = re.sub(r"\\\n", " ", open("Dockerfile").read())
build = text.split("FROM ")[1]
for src, dst in re.findall(r"^COPY (?!--from)(\S+) (\S+)$", build, re.M):
    target = os.path.join(tmp, dst)
    if os.path.isdir(src):
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("build*", "node_modules"))
    else:
        shutil.copy(src, os.path.join(target, os.path.basename(src)) if dst.endswith("/") else target)
m = re.search(r"RUN (cmake -S \. -B build[^&]*)", build)
open(os.path.join(tmp, "configure.cmd"), "w").write(m.group(1).strip() if m else "false")
PY
  if [ "$rc" = 0 ]; then
    cmd="$(cat "$tmp/configure.cmd")"
    (cd "$tmp" && eval "$cmd") >"$tmp/configure.log" 2>&1 || { rc=1; tail -20 "$tmp/configure.log"; }
  fi
  rm -rf "$tmp"
  return "$rc"
}
check "the build stage configures from the copied context alone" configure_context

if [ "${SG_DOCKER_BUILD:-0}" = 1 ]; then
  check "docker build succeeds" docker build -q -t storygate:test .
fi

summary
