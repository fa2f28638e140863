#!/usr/bin/env bash
# Prints the path of a usable kfake-broker binary (tools/kafka: franz-go's kfake, an in-memory broker
# speaking the Kafka protocol) on stdout; every log goes to stderr.
# Order: $KAFKA_BROKER_BIN, a `kfake-broker` on PATH, the cached build, else build it from tools/kafka.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/go-tool.sh"
find_or_build_go_tool KAFKA_BROKER_BIN kfake-broker kafka github.com/twmb/franz-go/pkg/kfake -version .
