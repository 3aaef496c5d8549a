#!/usr/bin/env bash
# Makes a development CA and a storygate serving certificate (ECDSA P-256, serverAuth, ~1 year) with openssl, and
# optionally fills the CA into the caBundle of webhook configuration manifests. Keys never leave OUTDIR.
#
# Usage: certs/gen-certs.sh [OUTDIR] [--service NAME] [--namespace NS] [--san DNS:x|IP:y]... [--days N] [--force]
#                           [--ca-bundle-into FILE...]
#   OUTDIR            where ca.crt ca.key tls.crt tls.key go (default: this script's directory, certs/)
#   --service/--namespace  the in-cluster Service the SANs name (default storygate / storygate-system)
#   --san             an extra subjectAltName (repeatable), e.g. --san DNS:host.docker.internal --san IP:10.0.0.5
#   --days N          validity of the serving certificate in days (default 365)
#   --force           make a new CA and serving cert even if valid ones exist
#   --ca-bundle-into  (takes every following argument up to the next option) write OUTDIR/<name of FILE> = FILE
#                     with `caBundle: <base64 CA>` under every clientConfig;
#                     FILE `-` reads stdin and writes stdout. Committed files are never rewritten.
# Idempotent: an existing CA is kept; the serving cert is remade only if missing, not issued by the CA, naming other
# SANs, or expiring within 30 days.
set -euo pipefail

die() { echo "gen-certs: $*" >&2; exit 1; }
log() { echo "gen-certs: $*" >&2; }

outdir=""
service="storygate"
namespace="storygate-system"
days=365
force=0
extra_sans=()
bundle_into=()

while [ $# -gt 0 ]; do
  case "$1" in
    --service) [ $# -ge 2 ] || die "--service needs a value"; service="$2"; shift 2 ;;
    --namespace) [ $# -ge 2 ] || die "--namespace needs a value"; namespace="$2"; shift 2 ;;
    --san) [ $# -ge 2 ] || die "--san needs a value"; extra_sans+=("$2"); shift 2 ;;
    --days) [ $# -ge 2 ] || die "--days needs a value"; days="$2"; shift 2 ;;
    --force) force=1; shift ;;
    --ca-bundle-into)
      shift
      while [ $# -gt 0 ] && { [ "$1" = "-" ] || [ "${1#--}" = "$1" ]; }; do bundle_into+=("$1"); shift; done
      [ ${#bundle_into[@]} -gt 0 ] || die "--ca-bundle-into needs at least one file"
      ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    --*) die "unknown option $1" ;;
    *) [ -z "$outdir" ] || die "only one OUTDIR may be given (got $outdir and $1)"; outdir="$1"; shift ;;
  esac
done

command -v openssl >/dev/null || die "openssl not found"
label='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
[[ "$service" =~ $label ]] || die "--service must be a DNS-1123 label (got '$service')"
[[ "$namespace" =~ $label ]] || die "--namespace must be a DNS-1123 label (got '$namespace')"
[[ "$days" =~ ^[1-9][0-9]{0,4}$ ]] || die "--days must be a positive integer (got '$days')"
for s in "${extra_sans[@]+"${extra_sans[@]}"}"; do
  [[ "$s" =~ ^(DNS|IP):[A-Za-z0-9.:*-]+$ ]] || die "--san must look like DNS:name or IP:address (got '$s')"
done

# in_repo_unignored PATH: true when PATH is inside a git work tree and git would not ignore it (so it could be
# committed by accident).
in_repo_unignored() {
  local dir
  dir="$(dirname "$1")"
  while [ ! -d "$dir" ]; do dir="$(dirname "$dir")"; done
  command -v git >/dev/null 2>&1 || return 1
  [ "$(git -C "$dir" rev-parse --is-inside-work-tree 2>/dev/null)" = "true" ] || return 1
  ! git -C "$dir" check-ignore -q "$1" 2>/dev/null
}

[ -n "$outdir" ] || outdir="$(cd "$(dirname "$0")" && pwd)"
case "$outdir" in /*) ;; *) outdir="$PWD/$outdir" ;; esac
if in_repo_unignored "$outdir/tls.key"; then
  die "refusing to write keys to $outdir: it is inside a git work tree and not ignored (use certs/ or a directory outside the repository)"
fi
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
umask 077

sans=(DNS:localhost IP:127.0.0.1 IP:::1 "DNS:$service" "DNS:$service.$namespace" "DNS:$service.$namespace.svc"
  "DNS:$service.$namespace.svc.cluster.local" "${extra_sans[@]+"${extra_sans[@]}"}")
san_csv="$(IFS=,; echo "${sans[*]}")"

# SANs as openssl prints them, sorted, to compare an existing certificate with what is asked for.
expected_sans() {
  local s
  for s in "${sans[@]}"; do
    case "$s" in
      IP:::1) echo "IP Address:0:0:0:0:0:0:0:1" ;;
      IP:*) echo "IP Address:${s#IP:}" ;;
      *) echo "$s" ;;
    esac
  done | sort -u
}
actual_sans() {
  openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr ',' '\n' | sed 's/^ *//' |
    sed '/^$/d' | sort -u
}

tmp="$(mktemp -d "$outdir/.gen-certs.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

ca_new=0
if [ $force -eq 1 ] || [ ! -s "$outdir/ca.crt" ] || [ ! -s "$outdir/ca.key" ] ||
  ! openssl x509 -in "$outdir/ca.crt" -noout -checkend 2592000 >/dev/null 2>&1; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 3650 -subj "/O=storygate/CN=storygate development CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$tmp/ca.crt" 2>/dev/null
  mv -f "$tmp/ca.key" "$outdir/ca.key"
  mv -f "$tmp/ca.crt" "$outdir/ca.crt"
  chmod 644 "$outdir/ca.crt"
  ca_new=1
  log "new CA in $outdir/ca.crt"
else
  log "keeping CA $outdir/ca.crt"
fi

need_leaf=0
if [ $force -eq 1 ] || [ $ca_new -eq 1 ] || [ ! -s "$outdir/tls.crt" ] || [ ! -s "$outdir/tls.key" ]; then
  need_leaf=1
elif ! openssl verify -CAfile "$outdir/ca.crt" -purpose sslserver "$outdir/tls.crt" >/dev/null 2>&1; then
  need_leaf=1
elif ! openssl x509 -in "$outdir/tls.crt" -noout -checkend 2592000 >/dev/null 2>&1; then
  need_leaf=1
elif [ "$(actual_sans "$outdir/tls.crt")" != "$(expected_sans)" ]; then
  need_leaf=1
fi

if [ $need_leaf -eq 1 ]; then
  cat >"$tmp/leaf.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $san_csv
EXT
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/tls.key" 2>/dev/null
  openssl req -new -key "$tmp/tls.key" -subj "/O=storygate/CN=$service.$namespace.svc" -out "$tmp/tls.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/tls.csr" -CA "$outdir/ca.crt" -CAkey "$outdir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$tmp/leaf.ext" -out "$tmp/tls.crt" \
    2>/dev/null
  openssl verify -CAfile "$outdir/ca.crt" "$tmp/tls.crt" >/dev/null || die "the new certificate does not verify"
  chmod 644 "$tmp/tls.crt"
  # The key first: a server that reloads on tls.crt changing then finds the matching key already in place.
  mv -f "$tmp/tls.key" "$outdir/tls.key"
  mv -f "$tmp/tls.crt" "$outdir/tls.crt"
  log "new serving certificate $outdir/tls.crt for ${sans[*]}"
else
  log "keeping serving certificate $outdir/tls.crt"
fi

# Inserts `caBundle: <b64>` under each clientConfig (dropping an old one); reads $1, writes stdout.
render_ca_bundle() {
  local b64
  b64="$(base64 <"$outdir/ca.crt" | tr -d '\n')"
  awk -v b64="$b64" '
    /^[[:space:]]*caBundle:/ { next }
    { print }
    /^[[:space:]]*(- )?clientConfig:[[:space:]]*$/ {
      col = index($0, "clientConfig:") - 1
      printf "%*scaBundle: %s\n", col + 2, "", b64
    }' "$1"
}

for f in "${bundle_into[@]+"${bundle_into[@]}"}"; do
  if [ "$f" = "-" ]; then
    render_ca_bundle /dev/stdin
    continue
  fi
  [ -f "$f" ] || die "--ca-bundle-into: no such file $f"
  dest="$outdir/$(basename "$f")"
  if in_repo_unignored "$dest"; then
    die "refusing to write $dest: it could be committed; pick an ignored or outside OUTDIR"
  fi
  render_ca_bundle "$f" >"$tmp/rendered"
  chmod 644 "$tmp/rendered"
  mv -f "$tmp/rendered" "$dest"
  log "wrote $dest with caBundle filled"
done
