#!/usr/bin/env bash
# Start a local single-node Apache Kafka broker (KRaft: broker and controller in one JVM, no
# ZooKeeper) on 127.0.0.1 and wait until it answers. Safe to run again: when the broker of this
# state dir is running already it says so and exits 0.
#
# Prints the bootstrap address on stdout (everything else goes to stderr):
#
#   export KAFKA_BOOTSTRAP="$(bash deploy/kafka/kafka-up.sh)"     # 127.0.0.1:9092
#
# Environment (all optional):
#   FOODMATCH_KAFKA_PORT             client (PLAINTEXT) port, default 9092
#   FOODMATCH_KAFKA_CONTROLLER_PORT  KRaft controller port, default 9093
#   FOODMATCH_KAFKA_HOME             state dir (config, data, logs, pid), default deploy/kafka/state
#   FOODMATCH_KAFKA_LIBS             jar folder, default deploy/kafka/target/libs
#   FOODMATCH_KAFKA_HEAP_OPTS        broker heap, default "-Xms256m -Xmx512m"
#   FOODMATCH_KAFKA_WAIT_SECONDS     how long to wait for readiness, default 90
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${FOODMATCH_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${FOODMATCH_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOME="${FOODMATCH_KAFKA_HOME:-$HERE/state}"
LIBS_DIR="${FOODMATCH_KAFKA_LIBS:-$HERE/target/libs}"
HEAP_OPTS="${FOODMATCH_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
WAIT_SECONDS="${FOODMATCH_KAFKA_WAIT_SECONDS:-90}"
HOST=127.0.0.1
BOOTSTRAP="$HOST:$PORT"

DATA_DIR="$KAFKA_HOME/data"
LOG_DIR="$KAFKA_HOME/logs"
PROPS="$KAFKA_HOME/server.properties"
PID_FILE="$KAFKA_HOME/kafka.pid"
CLUSTER_ID_FILE="$KAFKA_HOME/cluster.id"
SERVER_LOG="$LOG_DIR/server.log"
STDOUT_LOG="$LOG_DIR/kafka.out"
READY_ERR="$LOG_DIR/ready-check.err"

log() { echo "kafka: $*" >&2; }
die() { log "error: $*"; exit 1; }

for p in "$PORT" "$CONTROLLER_PORT"; do
  [[ "$p" =~ ^[0-9]+$ ]] || die "ports must be numbers (got '$p')"
done
[[ "$PORT" != "$CONTROLLER_PORT" ]] || die "FOODMATCH_KAFKA_PORT and FOODMATCH_KAFKA_CONTROLLER_PORT must differ"
command -v java >/dev/null 2>&1 \
  || die "java not found on PATH: install a JDK 17 or newer (Debian: apt-get install -y openjdk-17-jdk-headless)"

port_open() {  # does something accept TCP connections on 127.0.0.1:$1?
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

broker_pid() {  # pid of this state dir's broker if it is alive, else nothing
  local pid
  [[ -f "$PID_FILE" ]] || return 0
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  # Guard against a recycled pid: the process must be kafka.Kafka with our server.properties.
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $PROPS"; then
    echo "$pid"
  fi
}

# A Kafka command-line class run with the broker's jars: "${TOOL[@]}" CLASS ARGS...
TOOL=(java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  "-Dlog4j.configuration=file:$HERE/tools-log4j.properties" -cp "$LIBS_DIR/*")

tail_logs() {
  local f
  for f in "$SERVER_LOG" "$STDOUT_LOG"; do
    if [[ -s "$f" ]]; then
      log "last lines of $f:"
      tail -n 30 "$f" >&2
    fi
  done
}

started_logged() {  # $1 = size of server.log before this start: look only at what came after
  local from="$1"
  [[ -f "$SERVER_LOG" ]] || return 1
  (($(stat -c %s "$SERVER_LOG") >= from)) || from=0  # the log was rotated meanwhile
  tail -c +"$((from + 1))" "$SERVER_LOG" | grep -q 'Kafka Server started'
}

wait_ready() {  # $1 = pid, $2 = log offset; ready = port answers, log says started, topics list
  local pid="$1" from="${2:-0}" deadline=$((SECONDS + WAIT_SECONDS))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail_logs
      die "the broker (pid $pid) exited during start-up"
    fi
    if port_open "$PORT" && started_logged "$from" \
      && timeout 30 "${TOOL[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list \
        >/dev/null 2>"$READY_ERR"; then
      return 0
    fi
    sleep 1
  done
  tail_logs
  if [[ -s "$READY_ERR" ]]; then
    log "last readiness check (TopicCommand --list) said:"
    tail -n 15 "$READY_ERR" >&2
  fi
  die "the broker (pid $pid) was not ready after ${WAIT_SECONDS} s; it is left running (stop it with kafka-down.sh)"
}

ready_message() {
  log "broker ready at $BOOTSTRAP (pid $1; state $KAFKA_HOME; logs $LOG_DIR)"
  echo "$BOOTSTRAP"
}

# --- already running? -------------------------------------------------------------------------
pid="$(broker_pid)"
if [[ -n "$pid" ]]; then
  if port_open "$PORT"; then
    log "already running"
    ready_message "$pid"
    exit 0
  fi
  log "broker (pid $pid) is starting; waiting for it"
  wait_ready "$pid"
  ready_message "$pid"
  exit 0
fi
rm -f "$PID_FILE"

for p in "$PORT" "$CONTROLLER_PORT"; do
  if port_open "$p"; then
    die "port $p on $HOST is in use by another process (not the broker of $KAFKA_HOME); stop it or set FOODMATCH_KAFKA_PORT / FOODMATCH_KAFKA_CONTROLLER_PORT"
  fi
done

# --- jars ---------------------------------------------------------------------------------------
FOODMATCH_KAFKA_LIBS="$LIBS_DIR" bash "$HERE/fetch.sh"

# --- configuration ------------------------------------------------------------------------------
mkdir -p "$DATA_DIR" "$LOG_DIR"
cat >"$PROPS" <<PROPERTIES
# Written by deploy/kafka/kafka-up.sh on every start; edit the script, not this file.
# One combined KRaft broker + controller on loopback, for development and tests.
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

# A single node: replication factor 1 everywhere.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Fast consumer-group joins, auto-created topics with 6 partitions.
group.initial.rebalance.delay.ms=0
num.partitions=6
auto.create.topics.enable=true
delete.topic.enable=true

# Messages up to 5 MiB.
message.max.bytes=5242880
replica.fetch.max.bytes=5242880
PROPERTIES

# --- storage ------------------------------------------------------------------------------------
if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    sed -n 's/^cluster\.id=//p' "$DATA_DIR/meta.properties" >"$CLUSTER_ID_FILE"
  else
    "${TOOL[@]}" kafka.tools.StorageTool random-uuid | tr -d '[:space:]' >"$CLUSTER_ID_FILE"
  fi
fi
CLUSTER_ID="$(tr -d '[:space:]' <"$CLUSTER_ID_FILE")"
[[ -n "$CLUSTER_ID" ]] || die "could not determine the cluster id ($CLUSTER_ID_FILE is empty)"
if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
  log "formatting storage in $DATA_DIR (cluster id $CLUSTER_ID)"
  "${TOOL[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$PROPS" --ignore-formatted >&2
fi

# --- start --------------------------------------------------------------------------------------
log "starting the broker on $BOOTSTRAP (controller $HOST:$CONTROLLER_PORT)"
{
  echo
  echo "=== start $(date -u '+%Y-%m-%dT%H:%M:%SZ') ==="
} >>"$STDOUT_LOG"
# The line "Kafka Server started" of an earlier run must not count for this one.
log_offset="$(stat -c %s "$SERVER_LOG" 2>/dev/null || echo 0)"
# The inner bash writes its own pid, then exec's java: the pid file holds the JVM's pid.
# shellcheck disable=SC2016,SC2086  # $$ is the inner shell's; HEAP_OPTS holds several options
setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
  java $HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  -Dkafka.logs.dir="$LOG_DIR" \
  -Dlog4j.configuration="file:$HERE/log4j.properties" \
  -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS" \
  </dev/null >>"$STDOUT_LOG" 2>&1 &

for _ in $(seq 50); do
  [[ -s "$PID_FILE" ]] && break
  sleep 0.1
done
pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
[[ -n "$pid" ]] || die "the broker did not start (no pid written to $PID_FILE)"

wait_ready "$pid" "$log_offset"
ready_message "$pid"
