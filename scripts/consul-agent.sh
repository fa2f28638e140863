#!/usr/bin/env bash
# Prints the path of a usable Consul agent binary on stdout; every log goes to stderr.
# Order: $CONSUL_BIN, a `consul` on PATH, the cached build, else build it from tools/consul.
set -euo pipefail

log() { printf 'consul-agent.sh: %s\n' "$*" >&2; }

if [[ -n "${CONSUL_BIN:-}" ]]; then
  if [[ -x "$CONSUL_BIN" ]]; then
    printf '%s\n' "$CONSUL_BIN"
    exit 0
  fi
  log "CONSUL_BIN=$CONSUL_BIN is not an executable file; looking elsewhere"
fi

if on_path="$(command -v consul 2>/dev/null)"; then
  printf '%s\n' "$on_path"
  exit 0
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mod_dir="$root/tools/consul"
version="$(sed -nE 's#^(require)?[[:space:]]*github\.com/hashicorp/consul[[:space:]]+(v[^[:space:]]+).*#\2#p' "$mod_dir/go.mod" | head -n1)"
if [[ -z "$version" ]]; then
  log "cannot read the github.com/hashicorp/consul version from $mod_dir/go.mod"
  exit 1
fi
# go.mod is hashed with go.sum: a replace directive changes the build without touching go.sum.
hash="$(cat "$mod_dir/go.sum" "$mod_dir/go.mod" | sha256sum | cut -c1-12)"
cache_dir="${NESTJS_GRACEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-graceful}"
bin="$cache_dir/consul-$version-$hash"

if [[ -x "$bin" ]]; then
  printf '%s\n' "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "no Consul binary found and no Go toolchain to build one: set CONSUL_BIN, put consul on PATH, or install Go"
  exit 1
fi

mkdir -p "$cache_dir"
# Test files running in parallel must not start two ~6-minute builds on the same cache entry.
exec 9>"$bin.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if [[ -x "$bin" ]]; then
  printf '%s\n' "$bin"
  exit 0
fi

tmp="$(mktemp "$bin.tmp.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# A caller's time limit ends the build with SIGTERM: still remove the partial binary.
trap 'exit 143' TERM INT HUP
log "building Consul $version into $bin (6-9 minutes on 2 cores with a cold Go build cache; go build -v lists each package it compiles)"
start=$SECONDS
(
  cd "$mod_dir"
  GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
    go build -v -trimpath -ldflags='-s -w' -o "$tmp" github.com/hashicorp/consul
) >&2
log "built in $((SECONDS - start))s ($(du -h "$tmp" | cut -f1))"

if ! "$tmp" version >&2; then
  log "the built binary does not run \`consul version\`"
  exit 1
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
printf '%s\n' "$bin"
