#!/usr/bin/env bash
# CEL conformance: runs the in-scope official tests (npm @bufbuild/cel-spec, pinned in conformance/package-lock.json)
# through `storygate cel lines`. Prints per-section counts and "N passed, M failed"; fails below the recorded baseline.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${SG_BIN:?SG_BIN must point at the storygate binary}"
dir="${SG_BINARY_DIR:-$here/../../build}/cel-conformance"
if [ ! -f "$dir/node_modules/@bufbuild/cel-spec/package.json" ] ||
   ! cmp -s "$here/conformance/package-lock.json" "$dir/package-lock.json"; then
  mkdir -p "$dir"
  cp "$here/conformance/package.json" "$here/conformance/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --silent >/dev/null)
fi
exec node "$here/conformance/run.js" --bin "$bin" --modules "$dir/node_modules" \
  --baseline "$here/conformance/baseline.json" "$@"
