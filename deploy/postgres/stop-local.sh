#!/usr/bin/env bash
# Stop the local PostgreSQL cluster started by start-local.sh (run as root). Safe to run again.
set -euo pipefail

PG_CLUSTER="${FOODMATCH_PG_CLUSTER:-main}"

log() { echo "postgres: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "PostgreSQL is not installed; nothing to stop"
  exit 0
fi

stopped=0
while read -r version cluster _port status _rest; do
  [[ "$cluster" == "$PG_CLUSTER" ]] || continue
  if [[ "$status" == online* ]]; then
    log "stopping cluster $version/$cluster"
    pg_ctlcluster "$version" "$cluster" stop >&2
    stopped=1
  fi
done < <(pg_lsclusters --no-header)

if ((stopped == 0)); then
  log "no running cluster named $PG_CLUSTER"
fi
