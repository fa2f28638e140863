#!/usr/bin/env bash
# Prints the path of a usable nats-server binary on stdout; every log goes to stderr.
# Order: $NATS_SERVER_BIN, a `nats-server` on PATH, the cached build, else build it from tools/nats.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
find_or_build_go_tool NATS_SERVER_BIN nats-server nats github.com/nats-io/nats-server/v2 --version
