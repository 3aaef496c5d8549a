#!/usr/bin/env bash
# ctest fuzz/smoke: builds the libFuzzer targets in $SG_BINARY_DIR/fuzz and runs each briefly (FUZZ_SECONDS, default
# 10) after replaying test/fuzz/regress/. Fails on any crash, leak or violated property; `make fuzz` runs longer.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${SG_SOURCE_DIR:-$here/../..}"
bin_dir="${SG_BINARY_DIR:-$src/build}"
export FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
# A fresh corpus each time keeps the smoke run's duration and findings independent of earlier runs.
FUZZ_WORK="$(mktemp -d "${TMPDIR:-/tmp}/storygate-fuzz.XXXXXX")"
export FUZZ_WORK
trap 'rm -rf "$FUZZ_WORK"' EXIT
JOBS="${JOBS:-2}" "$src/scripts/fuzz.sh" "$bin_dir/fuzz"
