#!/usr/bin/env bash
# Copies the CRD schemas (schemas/*.yaml, the single source) into deploy/crds/, where kustomize can load them.
# Usage: scripts/sync-crds.sh [--check]   (--check: change nothing, exit 1 if a copy is missing or differs)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/schemas"
dst="$root/deploy/crds"
check=0
[ "${1:-}" = "--check" ] && check=1

status=0
for f in "$src"/*.yaml; do
  name="$(basename "$f")"
  if [ $check -eq 1 ]; then
    if ! cmp -s "$f" "$dst/$name"; then
      echo "sync-crds: deploy/crds/$name is missing or differs from schemas/$name (run scripts/sync-crds.sh)" >&2
      status=1
    fi
  else
    cp "$f" "$dst/$name"
  fi
done
# A copy whose schema was removed would still be deployed.
for f in "$dst"/*.yaml; do
  name="$(basename "$f")"
  [ "$name" = "kustomization.yaml" ] && continue
  if [ ! -e "$src/$name" ]; then
    if [ $check -eq 1 ]; then
      echo "sync-crds: deploy/crds/$name has no schemas/$name" >&2
      status=1
    else
      rm -f "$f"
    fi
  fi
done
exit $status
