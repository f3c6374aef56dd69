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
#   FOODMATCH_KAFKA_SASL_USERS       "alice:secret bob:pw2" (space or comma separated): the client
#                                    port becomes SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256 and
#                                    SCRAM-SHA-512 for these users); unset: PLAINTEXT, no login
#   FOODMATCH_KAFKA_SSL_PORT         a TLS listener on this port as well (SASL_SSL with SASL
#                                    users, else SSL with client certificates required); the
#                                    certificates are made once in <state>/tls (ca.pem, ...)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${FOODMATCH_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${FOODMATCH_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOME="${FOODMATCH_KAFKA_HOME:-$HERE/state}"
LIBS_DIR="${FOODMATCH_KAFKA_LIBS:-$HERE/target/libs}"
HEAP_OPTS="${FOODMATCH_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
WAIT_SECONDS="${FOODMATCH_KAFKA_WAIT_SECONDS:-90}"
SASL_USERS="${FOODMATCH_KAFKA_SASL_USERS:-}"
SSL_PORT="${FOODMATCH_KAFKA_SSL_PORT:-}"
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
CLIENT_PROPS="$KAFKA_HOME/client.properties"
TLS_DIR="$KAFKA_HOME/tls"

log() { echo "kafka: $*" >&2; }
die() { log "error: $*"; exit 1; }

PORTS=("$PORT" "$CONTROLLER_PORT")
[[ -z "$SSL_PORT" ]] || PORTS+=("$SSL_PORT")
for p in "${PORTS[@]}"; do
  [[ "$p" =~ ^[0-9]+$ ]] || die "ports must be numbers (got '$p')"
done
[[ "$PORT" != "$CONTROLLER_PORT" ]] || die "FOODMATCH_KAFKA_PORT and FOODMATCH_KAFKA_CONTROLLER_PORT must differ"
[[ -z "$SSL_PORT" || ("$SSL_PORT" != "$PORT" && "$SSL_PORT" != "$CONTROLLER_PORT") ]] \
  || die "FOODMATCH_KAFKA_SSL_PORT must differ from the other two ports"

# SASL users: name:password pairs, separated by spaces or commas. Both parts go into the JAAS
# configuration and the SCRAM credentials as they are, so only [A-Za-z0-9._-] is accepted.
USERS=()
PASSWORDS=()
for pair in ${SASL_USERS//,/ }; do
  [[ "$pair" =~ ^([A-Za-z0-9._-]+):([A-Za-z0-9._-]+)$ ]] \
    || die "FOODMATCH_KAFKA_SASL_USERS: '${pair%%:*}:...' is not name:password (letters, digits, . _ - only)"
  USERS+=("${BASH_REMATCH[1]}")
  PASSWORDS+=("${BASH_REMATCH[2]}")
done
if ((${#USERS[@]})); then
  CLIENT_PROTOCOL=SASL_PLAINTEXT
  TLS_PROTOCOL=SASL_SSL
else
  CLIENT_PROTOCOL=PLAINTEXT
  TLS_PROTOCOL=SSL
fi
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
      && timeout 30 "${TOOL[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
        "${CLIENT_CONFIG[@]}" --list >/dev/null 2>"$READY_ERR"; then
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
  local extra=""
  ((${#USERS[@]})) && extra=" (SASL_PLAINTEXT; client settings in $CLIENT_PROPS)"
  [[ -z "$SSL_PORT" ]] || extra+="; $TLS_PROTOCOL on $HOST:$SSL_PORT (CA $TLS_DIR/ca.pem)"
  log "broker ready at $BOOTSTRAP$extra (pid $1; state $KAFKA_HOME; logs $LOG_DIR)"
  echo "$BOOTSTRAP"
}

# The tools talk to a SASL port as the first user.
CLIENT_CONFIG=()
((${#USERS[@]})) && CLIENT_CONFIG=(--command-config "$CLIENT_PROPS")

make_certificates() {  # a CA, the broker's certificate (127.0.0.1, localhost), a client's
  local days=3650 ext
  command -v openssl >/dev/null 2>&1 || die "FOODMATCH_KAFKA_SSL_PORT needs openssl on PATH"
  [[ -s "$TLS_DIR/ca.pem" && -s "$TLS_DIR/broker.pem" && -s "$TLS_DIR/client.key" ]] && return 0
  log "making TLS certificates in $TLS_DIR"
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  ext="$TLS_DIR/ext.cnf"
  (
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$days" \
      -subj "/CN=foodmatch local Kafka CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$ext"
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=127.0.0.1"
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
      -extfile "$ext" -out broker.crt
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >"$ext"
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=foodmatch-client"
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
      -extfile "$ext" -out client.pem
    # The broker's PEM key store: its PKCS#8 key (unencrypted), then its certificate chain.
    openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.p8
    cat broker.p8 broker.crt ca.pem >broker.pem
    rm -f broker.csr client.csr broker.p8 ca.srl "$ext"
    chmod 600 ./*.key broker.pem
  ) >/dev/null 2>"$LOG_DIR/openssl.err" || { cat "$LOG_DIR/openssl.err" >&2; die "making the TLS certificates failed"; }
}

# SCRAM credentials live in the cluster's metadata: written when the storage is formatted, and
# by add_scram_users on a later start when FOODMATCH_KAFKA_SASL_USERS changed (scram.users holds
# a hash of the users last written).
SCRAM_STAMP="$KAFKA_HOME/scram.users"
users_hash() { printf '%s\n' "${USERS[@]}" "${PASSWORDS[@]}" | sha256sum | cut -d' ' -f1; }

add_scram_users() {
  local i mechanism
  [[ "$(cat "$SCRAM_STAMP" 2>/dev/null)" != "$(users_hash)" ]] || return 0
  log "setting the SCRAM credentials of ${USERS[*]}"
  for i in "${!USERS[@]}"; do
    for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do  # one mechanism per request
      timeout 60 "${TOOL[@]}" kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" \
        "${CLIENT_CONFIG[@]}" --alter --entity-type users --entity-name "${USERS[$i]}" \
        --add-config "$mechanism=[password=${PASSWORDS[$i]}]" >/dev/null 2>"$READY_ERR" \
        || { tail -n 15 "$READY_ERR" >&2; die "could not set the SCRAM credentials of ${USERS[$i]}"; }
    done
  done
  users_hash >"$SCRAM_STAMP"
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

for p in "${PORTS[@]}"; do
  if port_open "$p"; then
    die "port $p on $HOST is in use by another process (not the broker of $KAFKA_HOME); stop it or set FOODMATCH_KAFKA_PORT / FOODMATCH_KAFKA_CONTROLLER_PORT"
  fi
done

# --- jars ---------------------------------------------------------------------------------------
FOODMATCH_KAFKA_LIBS="$LIBS_DIR" bash "$HERE/fetch.sh"

# --- configuration ------------------------------------------------------------------------------
mkdir -p "$DATA_DIR" "$LOG_DIR"
LISTENERS="$CLIENT_PROTOCOL://$HOST:$PORT"
PROTOCOL_MAP="CONTROLLER:PLAINTEXT,$CLIENT_PROTOCOL:$CLIENT_PROTOCOL"
if [[ -n "$SSL_PORT" ]]; then
  make_certificates
  LISTENERS+=",$TLS_PROTOCOL://$HOST:$SSL_PORT"
  PROTOCOL_MAP+=",$TLS_PROTOCOL:$TLS_PROTOCOL"
fi
cat >"$PROPS" <<PROPERTIES
# Written by deploy/kafka/kafka-up.sh on every start; edit the script, not this file.
# One combined KRaft broker + controller on loopback, for development and tests.
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=$LISTENERS,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=$LISTENERS
controller.listener.names=CONTROLLER
inter.broker.listener.name=$CLIENT_PROTOCOL
listener.security.protocol.map=$PROTOCOL_MAP
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

if ((${#USERS[@]})); then
  # PLAIN checks the user_<name>="<password>" entries; username/password are the broker's own
  # login (inter-broker, as the first user). SCRAM checks the credentials add_scram_users sets.
  jaas='org.apache.kafka.common.security.plain.PlainLoginModule required'
  jaas+=" username=\"${USERS[0]}\" password=\"${PASSWORDS[0]}\""
  for i in "${!USERS[@]}"; do
    jaas+=" user_${USERS[$i]}=\"${PASSWORDS[$i]}\""
  done
  {
    echo
    echo "# SASL (FOODMATCH_KAFKA_SASL_USERS): PLAIN and SCRAM; the controller stays PLAINTEXT."
    echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
    echo "sasl.mechanism.inter.broker.protocol=PLAIN"
    for listener in sasl_plaintext ${SSL_PORT:+sasl_ssl}; do
      echo "listener.name.$listener.plain.sasl.jaas.config=$jaas;"
      for scram in scram-sha-256 scram-sha-512; do
        echo "listener.name.$listener.$scram.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
      done
    done
  } >>"$PROPS"
  (
    umask 077
    cat >"$CLIENT_PROPS" <<CLIENT
# Written by deploy/kafka/kafka-up.sh: the Kafka tools' settings for $BOOTSTRAP (--command-config).
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${USERS[0]}" password="${PASSWORDS[0]}";
CLIENT
  )
fi
if [[ -n "$SSL_PORT" ]]; then
  # TLS: the broker's key and chain as a PEM key store; clients checked against the same CA.
  # SSL alone: a client certificate is required (it is the login); SASL_SSL: requested.
  tls_listener="$(echo "$TLS_PROTOCOL" | tr '[:upper:]' '[:lower:]')"
  client_auth=required
  ((${#USERS[@]})) && client_auth=requested
  cat >>"$PROPS" <<PROPERTIES

# TLS (FOODMATCH_KAFKA_SSL_PORT): certificates made by kafka-up.sh in $TLS_DIR.
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.$tls_listener.ssl.client.auth=$client_auth
PROPERTIES
fi

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
  SCRAM_ARGS=()
  for i in "${!USERS[@]}"; do
    for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
      SCRAM_ARGS+=(--add-scram "$mechanism=[name=${USERS[$i]},password=${PASSWORDS[$i]}]")
    done
  done
  "${TOOL[@]}" kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$PROPS" --ignore-formatted \
    "${SCRAM_ARGS[@]}" >&2
  if ((${#USERS[@]})); then
    users_hash >"$SCRAM_STAMP"
  else
    rm -f "$SCRAM_STAMP"
  fi
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
((${#USERS[@]} == 0)) || add_scram_users
ready_message "$pid"
