#!/usr/bin/env bash
# Debian's Chromium (and Thai fonts) for the dashboard's browser tests; prints the browser's path.
# Idempotent: installs only what is missing (as root, with apt-get). The tests never download a
# browser of their own.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "loma\|garuda\|tlwg"; then
  if [ "$(id -u)" != "0" ]; then
    echo "chromium is missing: run as root, or apt-get install chromium fonts-thai-tlwg" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends chromium fonts-thai-tlwg >&2
fi
command -v chromium
