#!/usr/bin/env bash
# Runs storygate for development (`make run`): makes dev certificates on first use, then serves with
# config/storygate.yaml from the repository root.
# Usage: scripts/run.sh [BINARY] [HOST:PORT] [extra `storygate serve` flags...]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-build/storygate}"
listen="${2:-127.0.0.1:8443}"
shift $(($# > 2 ? 2 : $#))

case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
[ -x "$bin" ] || { echo "run.sh: $bin is not built (run 'make build')" >&2; exit 1; }
cd "$root"

if [ ! -f certs/tls.crt ] || [ ! -f certs/tls.key ]; then
  [ -x certs/gen-certs.sh ] || { echo "run.sh: certs/gen-certs.sh is missing" >&2; exit 1; }
  certs/gen-certs.sh certs
fi
mkdir -p var/storygate

echo "run.sh: https://$listen (CA: certs/ca.crt) — try: curl --cacert certs/ca.crt https://$listen/readyz" >&2
# Embedded mode loads the example Stories and ReferenceGrants so the example triggers can be created right away.
manifests=()
[ -d deploy/examples ] && manifests=(--set api.manifestsDir=deploy/examples)
exec "$bin" serve --config config/storygate.yaml --listen "$listen" "${manifests[@]+"${manifests[@]}"}" "$@"
