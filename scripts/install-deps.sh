#!/usr/bin/env bash
# Installs the Debian 12 packages storygate builds, runs and tests with; a no-op when all are present.
# Usage: install-deps.sh [--runtime]   (--runtime: only what `make run` needs)
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config openssl tzdata
  libh2o-evloop-dev libssl-dev libyajl-dev libyaml-dev liblmdb-dev libcurl4-openssl-dev libpcre2-dev)
test_pkgs=(libcriterion-dev curl jq python3 python3-yaml nghttp2-client wrk prometheus clang libclang-rt-14-dev valgrind)
# Tools found by command: the image may ship them from elsewhere (node with its own npm, kubectl).
test_cmds=("node:nodejs" "npm:npm" "kubectl:kubectl")

pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--runtime" ] || pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
optional=()
if [ "${1:-}" != "--runtime" ]; then
  for pair in "${test_cmds[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || optional+=("${pair#*:}")
  done
fi
[ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for p in "${optional[@]}"; do
  # Not every Debian mirror carries these (kubectl); the tests that need them say so and fail.
  $sudo apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 ||
    echo "install-deps: could not install $p" >&2
done
