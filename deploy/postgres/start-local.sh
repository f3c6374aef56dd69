#!/usr/bin/env bash
# Start a local PostgreSQL for the tests (Debian 12, run as root). Safe to run again.
#
# Installs PostgreSQL from the Debian packages when it is missing, starts the newest installed
# cluster, waits until it accepts connections, makes sure the role and the test database exist,
# and prints the database URL on stdout (everything else goes to stderr):
#
#   export FOODMATCH_TEST_POSTGRES_URL="$(deploy/postgres/start-local.sh)"
set -euo pipefail

PG_USER="${FOODMATCH_PG_USER:-foodmatch}"
PG_PASSWORD="${FOODMATCH_PG_PASSWORD:-foodmatch}"
PG_DATABASE="${FOODMATCH_PG_DATABASE:-foodmatch_test}"
PG_CLUSTER="${FOODMATCH_PG_CLUSTER:-main}"
WAIT_SECONDS="${FOODMATCH_PG_WAIT_SECONDS:-60}"

log() { echo "postgres: $*" >&2; }

if [[ "$(id -u)" -ne 0 ]]; then
  log "run this script as root (it manages the system's PostgreSQL cluster)"
  exit 1
fi

installed_version() {
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null \
    | sort -V | tail -n 1)"
  if [[ -n "$dir" && -x "/usr/lib/postgresql/$dir/bin/postgres" ]]; then
    echo "$dir"
  fi
}

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [[ -z "$(installed_version)" ]]; then
  log "installing PostgreSQL from the Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql >&2
fi

VERSION="$(installed_version)"
if [[ -z "$VERSION" ]]; then
  log "no PostgreSQL server found under /usr/lib/postgresql"
  exit 1
fi

cluster_field() {  # the given column of this cluster's line in pg_lsclusters (empty if none)
  pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$PG_CLUSTER" -v f="$1" \
    '$1 == v && $2 == c { print $f }'
}

if [[ -z "$(cluster_field 2)" ]]; then
  log "creating cluster $VERSION/$PG_CLUSTER"
  pg_createcluster "$VERSION" "$PG_CLUSTER" >&2
fi

PORT="$(cluster_field 3)"
STATUS="$(cluster_field 4)"

if [[ "$STATUS" != online* ]]; then
  log "starting cluster $VERSION/$PG_CLUSTER on port $PORT"
  pg_ctlcluster "$VERSION" "$PG_CLUSTER" start >&2
fi

for ((waited = 0; ; waited++)); do
  if pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    break
  fi
  if ((waited >= WAIT_SECONDS)); then
    log "the server did not accept connections within ${WAIT_SECONDS}s"
    exit 1
  fi
  sleep 1
done

as_postgres() {
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

if [[ -z "$(as_postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" ]]; then
  log "creating role $PG_USER"
  as_postgres -c "CREATE ROLE \"$PG_USER\" LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
else
  as_postgres -c "ALTER ROLE \"$PG_USER\" LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
fi
# The tests drop their databases WITH (FORCE): the role may then end any session still in one,
# a server's background process (autovacuum) included.
as_postgres -c "GRANT pg_signal_backend TO \"$PG_USER\""

if [[ -z "$(as_postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" ]]; then
  log "creating database $PG_DATABASE"
  as_postgres -c "CREATE DATABASE \"$PG_DATABASE\" OWNER \"$PG_USER\""
fi

log "ready: PostgreSQL $VERSION on 127.0.0.1:$PORT"
echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DATABASE"
