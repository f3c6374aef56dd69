#!/usr/bin/env bash
# Collect the Kafka broker's jars from Maven Central into the libs folder (default
# deploy/kafka/target/libs, override with FOODMATCH_KAFKA_LIBS). Does nothing when the folder is
# complete already: a stamp file records the pom.xml it was made from and the number of jars.
#
#   bash deploy/kafka/fetch.sh          # fetch if needed
#   bash deploy/kafka/fetch.sh --force  # fetch again
#
# Extra Maven arguments can be passed in FOODMATCH_KAFKA_MVN_ARGS (e.g. -Dmaven.repo.local=...).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIBS_DIR="${FOODMATCH_KAFKA_LIBS:-$HERE/target/libs}"
STAMP="$LIBS_DIR/.fetch-stamp"
POM="$HERE/pom.xml"

log() { echo "kafka-fetch: $*" >&2; }
die() { log "error: $*"; exit 1; }

force=0
case "${1:-}" in
  "") ;;
  --force) force=1 ;;
  -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (use --force or nothing)" ;;
esac

command -v java >/dev/null 2>&1 \
  || die "java not found on PATH: install a JDK 17 or newer (Debian: apt-get install -y openjdk-17-jdk-headless)"

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }
jar_count() { find "$LIBS_DIR" -maxdepth 1 -name '*.jar' -type f 2>/dev/null | wc -l; }

is_complete() {
  [[ -f "$STAMP" ]] || return 1
  local want_hash want_count
  want_hash="$(sed -n 's/^pom=//p' "$STAMP")"
  want_count="$(sed -n 's/^jars=//p' "$STAMP")"
  [[ "$want_hash" == "$(pom_hash)" ]] || return 1
  [[ -n "$want_count" && "$want_count" -eq "$(jar_count)" ]] || return 1
  compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null || return 1
  compgen -G "$LIBS_DIR/kafka-tools-[0-9]*.jar" >/dev/null || return 1
}

if [[ "$force" -eq 0 ]] && is_complete; then
  exit 0
fi

command -v mvn >/dev/null 2>&1 \
  || die "mvn not found on PATH: install Maven 3.6 or newer (Debian: apt-get install -y maven)"

log "collecting the broker's jars from Maven Central into $LIBS_DIR"
rm -rf "$LIBS_DIR"
mkdir -p "$(dirname "$LIBS_DIR")"
start=$SECONDS
mvn_log="$(mktemp)"
trap 'rm -f "$mvn_log"' EXIT
# shellcheck disable=SC2086  # FOODMATCH_KAFKA_MVN_ARGS is split on purpose
if ! mvn -B -q -Dstyle.color=never -f "$POM" ${FOODMATCH_KAFKA_MVN_ARGS:-} \
  "-Dkafka.libs.dir=$LIBS_DIR" package >"$mvn_log" 2>&1; then
  # Maven 3.8 prints stray colour resets even in batch mode: strip them.
  sed 's/\x1b\[[0-9;]*m//g' "$mvn_log" | grep -v '^[[:space:]]*$' | tail -n 40 >&2 || true
  rm -rf "$LIBS_DIR"
  die "mvn failed to collect the jars (see its output above); is Maven Central reachable?"
fi

count="$(jar_count)"
[[ "$count" -gt 0 ]] || die "mvn finished but $LIBS_DIR holds no jars"
printf 'pom=%s\njars=%s\n' "$(pom_hash)" "$count" >"$STAMP"
log "done: $count jars in $((SECONDS - start)) s"
