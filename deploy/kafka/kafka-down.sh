#!/usr/bin/env bash
# Stop the local Kafka broker started by kafka-up.sh: SIGTERM (controlled shutdown), then SIGKILL
# if it is still alive after FOODMATCH_KAFKA_STOP_SECONDS (default 30). Safe to run again.
#
#   bash deploy/kafka/kafka-down.sh          # stop, keep the data
#   bash deploy/kafka/kafka-down.sh --purge  # stop and delete the state dir (data, logs, config)
#
# Uses the same FOODMATCH_KAFKA_HOME as kafka-up.sh (default deploy/kafka/state).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_HOME="${FOODMATCH_KAFKA_HOME:-$HERE/state}"
STOP_SECONDS="${FOODMATCH_KAFKA_STOP_SECONDS:-30}"
PROPS="$KAFKA_HOME/server.properties"
PID_FILE="$KAFKA_HOME/kafka.pid"

log() { echo "kafka: $*" >&2; }
die() { log "error: $*"; exit 1; }

purge=0
case "${1:-}" in
  "") ;;
  --purge) purge=1 ;;
  -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (use --purge or nothing)" ;;
esac

pid=""
if [[ -f "$PID_FILE" ]]; then
  pid="$(tr -dc '0-9' <"$PID_FILE")"
fi

if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
  && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS"; then
  log "stopping the broker (pid $pid): controlled shutdown"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_SECONDS))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${STOP_SECONDS} s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  log "stopped"
elif [[ -n "$pid" ]]; then
  log "not running (stale pid file for pid $pid removed)"
else
  log "not running (no pid file in $KAFKA_HOME)"
fi
rm -f "$PID_FILE"

if ((purge)); then
  if [[ -d "$KAFKA_HOME" ]]; then
    # Delete only a folder that kafka-up.sh made: it holds server.properties or data/meta.properties.
    case "$KAFKA_HOME" in
      / | "$HOME" | "$HERE" | "") die "refusing to delete '$KAFKA_HOME'" ;;
    esac
    if [[ -f "$PROPS" || -f "$KAFKA_HOME/data/meta.properties" || -f "$KAFKA_HOME/cluster.id" ]]; then
      rm -rf "$KAFKA_HOME"
      log "deleted the state dir $KAFKA_HOME"
    else
      die "$KAFKA_HOME does not look like a Kafka state dir made by kafka-up.sh; not deleting it"
    fi
  else
    log "no state dir at $KAFKA_HOME"
  fi
fi
