#!/usr/bin/env bash
# Debian's packages of the command-line tools the tests drive: docker-compose (checks
# deploy/compose.yaml), prometheus (promtool for the alert rules' unit tests, and the Prometheus
# server of tests/kafka/test_prometheus_server.py) and kcat (tests/kafka/test_kcat.py).
# Idempotent: installs only what is missing (as root, with apt-get; `apt-get update` first when
# the package lists are stale). Installing the prometheus package starts no service here: a
# policy-rc.d refuses service starts during the install when the machine has none of its own
# (the tests run Prometheus on ports of their own).
set -euo pipefail

missing=()
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 \
  || missing+=(docker-compose)
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } \
  || missing+=(prometheus)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "missing ${missing[*]}: run as root, or apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi
for tool in promtool prometheus kcat; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool is still missing" >&2; exit 1; }
done
echo "tools: $(command -v docker-compose || echo 'docker compose') $(command -v promtool) $(command -v prometheus) $(command -v kcat)"
