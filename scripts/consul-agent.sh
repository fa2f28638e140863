#!/usr/bin/env bash
# Prints the path of a usable Consul agent binary on stdout; every log goes to stderr.
# Order: $CONSUL_BIN, a `consul` on PATH, the cached build, else build it from tools/consul.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
find_or_build_go_tool CONSUL_BIN consul consul github.com/hashicorp/consul version
