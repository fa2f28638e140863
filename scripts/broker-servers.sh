#!/usr/bin/env bash
# Installs the message brokers the broker integration tests start (Debian's redis-server,
# rabbitmq-server and mosquitto), unless they are already there. Needs root for apt-get; the
# packages' own services stay off where policy-rc.d forbids starting them, and the tests
# never use them: they start their own servers on free loopback ports.
set -euo pipefail

log() { printf 'broker-servers.sh: %s\n' "$*" >&2; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v rabbitmq-server >/dev/null 2>&1 || [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || missing+=(rabbitmq-server)
command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto)
if [[ ${#missing[@]} -eq 0 ]]; then
  log "redis-server, rabbitmq-server and mosquitto are installed"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  log "missing ${missing[*]}: run this script as root, or: sudo apt-get install ${missing[*]}"
  exit 1
fi
log "installing ${missing[*]} with apt-get"
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
log "installed: $(redis-server --version | head -n1)"
