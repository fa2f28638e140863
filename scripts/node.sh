#!/usr/bin/env bash
# Prints a directory whose `node` is Node $1 (a major version), installed once from the npm
# registry's `node@$1` package into the cache the test servers use. .ci/run puts it first on
# PATH for each run; the CommonJS + Jest consumer test runs Jest with Node 24 from it.
set -euo pipefail
major=${1:?usage: scripts/node.sh MAJOR}
cache="${NESTJS_GRACEFUL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-graceful}"
dir="$cache/node$major"
if [[ ! -x "$dir/node_modules/.bin/node" ]]; then
  echo "Node $major from the npm registry into $dir" >&2
  npm install --no-audit --no-fund --no-save --prefix "$dir" "node@$major" >&2
fi
printf '%s\n' "$dir/node_modules/.bin"
