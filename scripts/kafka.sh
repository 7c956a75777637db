#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft) on loopback, for development and tests.
#
#   scripts/kafka.sh fetch                          resolve the broker jars from Maven Central (cached)
#   scripts/kafka.sh start  [--port N] [--controller-port N] [--data-dir DIR] [--sasl-port N]
#   scripts/kafka.sh stop   [--port N] [--keep-data]
#   scripts/kafka.sh status [--port N]
#
# Environment: KAFKA_VERSION (4.1.2; 3.9.x still works), KAFKA_PORT (19092), KAFKA_HEAP ("-Xms256m -Xmx768m"),
# KAFKA_START_TIMEOUT_SECS (120), KAFKA_CACHE_DIR (<repo>/.cache/kafka).
# --sasl-port N adds a SASL_SSL listener on N (SCRAM-SHA-512 over TLS): a CA and a broker certificate for
# 127.0.0.1/localhost are generated into <cache>/run/<port>/tls (the CA: ca.pem), and the user
# KAFKA_SASL_USER (tidecast) with KAFKA_SASL_PASSWORD (tidecast-secret) is created when the storage is formatted.
# Runs without standard input (CI): Maven in batch mode, the broker detached from the terminal.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# 4.1.x: the newest line both clients (kafkajs 2.2.4, @platformatic/kafka 1.x: "3.5.0 to 4.1.0") cover.
VERSION="${KAFKA_VERSION:-4.1.2}"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIBS="$CACHE/$VERSION/libs"
PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT=""
DATA_DIR=""
KEEP_DATA=0
SASL_PORT=""
SASL_USER="${KAFKA_SASL_USER:-tidecast}"
SASL_PASSWORD="${KAFKA_SASL_PASSWORD:-tidecast-secret}"
HEAP="${KAFKA_HEAP:--Xms256m -Xmx768m}"
TIMEOUT="${KAFKA_START_TIMEOUT_SECS:-120}"

log() { echo "kafka.sh: $*" >&2; }
die() { log "$*"; exit 1; }

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) PORT="$2"; shift 2 ;;
      --controller-port) CONTROLLER_PORT="$2"; shift 2 ;;
      --data-dir) DATA_DIR="$2"; shift 2 ;;
      --keep-data) KEEP_DATA=1; shift ;;
      --sasl-port) SASL_PORT="$2"; shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  [[ -n "$CONTROLLER_PORT" ]] || CONTROLLER_PORT=$((PORT + 1))
  RUN="$CACHE/run/$PORT"
}

fetch() {
  [[ -f "$LIBS/.complete" ]] && return 0
  command -v java >/dev/null || die "java (17+) is required on PATH"
  command -v mvn >/dev/null || die "mvn is required on PATH"
  mkdir -p "$CACHE"
  # Parallel starts (several test runs) must not fetch into the same folder at once.
  exec 9>"$CACHE/fetch.lock"
  flock 9
  if [[ ! -f "$LIBS/.complete" ]]; then
    log "fetching org.apache.kafka:kafka_2.13:$VERSION and its runtime dependencies from Maven Central"
    local tmp="$CACHE/$VERSION.tmp.$$"
    rm -rf "$tmp"
    mvn -B -q -f "$ROOT/scripts/kafka/pom.xml" -Dkafka.version="$VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" </dev/null \
      >"$CACHE/fetch.log" 2>&1 || { cat "$CACHE/fetch.log" >&2; die "mvn could not fetch the broker jars"; }
    ls "$tmp"/kafka_2.13-"$VERSION".jar >/dev/null || die "kafka_2.13-$VERSION.jar missing after fetch"
    touch "$tmp/.complete"
    rm -rf "$LIBS"
    mkdir -p "$(dirname "$LIBS")"
    mv "$tmp" "$LIBS"
    log "cached $(ls "$LIBS" | wc -l) jars in $LIBS"
  fi
  flock -u 9
}

java_cmd() { java $HEAP -XX:+UseSerialGC -Djava.awt.headless=true -cp "$LIBS/*" "$@"; }

# A test CA and a broker certificate signed by it (SAN 127.0.0.1 and localhost), as a PKCS12 keystore.
make_tls() {
  local dir="$RUN/tls"
  [[ -f "$dir/broker.p12" ]] && return 0
  command -v openssl >/dev/null || die "openssl is required for --sasl-port"
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tidecast-test-ca" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 || die "openssl: CA failed"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/broker.key" -out "$dir/broker.csr" \
    >/dev/null 2>&1 || die "openssl: broker key failed"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/broker.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 3650 \
    -extfile "$dir/san.ext" -out "$dir/broker.pem" >/dev/null 2>&1 || die "openssl: signing failed"
  openssl pkcs12 -export -in "$dir/broker.pem" -inkey "$dir/broker.key" -certfile "$dir/ca.pem" \
    -passout pass:tidecast-keystore -out "$dir/broker.p12" >/dev/null 2>&1 || die "openssl: keystore failed"
}

write_config() {
  local listeners="PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$PORT"
  if [[ -n "$SASL_PORT" ]]; then
    listeners="$listeners,SASL_SSL://127.0.0.1:$SASL_PORT"
    advertised="$advertised,SASL_SSL://127.0.0.1:$SASL_PORT"
  fi
  cat >"$RUN/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$DATA_DIR
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.cleaner.threads=1
log.cleaner.backoff.ms=1000
log.segment.bytes=16777216
EOF
  if [[ -n "$SASL_PORT" ]]; then
    cat >>"$RUN/server.properties" <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$RUN/tls/broker.p12
ssl.keystore.password=tidecast-keystore
ssl.key.password=tidecast-keystore
ssl.client.auth=none
EOF
  fi
  cat >"$RUN/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$RUN/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.controller=WARN
EOF
  # Kafka 4.x logs through log4j 2.
  cat >"$RUN/log4j2.properties" <<EOF
appender.file.type=File
appender.file.name=file
appender.file.fileName=$RUN/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.request.name=kafka.request.logger
logger.request.level=WARN
logger.controller.name=org.apache.kafka.controller
logger.controller.level=WARN
EOF
}

pid_alive() { [[ -f "$RUN/pid" ]] && kill -0 "$(cat "$RUN/pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

start() {
  fetch
  if pid_alive; then
    log "already running on 127.0.0.1:$PORT (pid $(cat "$RUN/pid"))"
    echo "127.0.0.1:$PORT"
    return 0
  fi
  port_open && die "port $PORT is taken by another process"
  mkdir -p "$RUN"
  [[ -n "$DATA_DIR" ]] || DATA_DIR="$(cat "$RUN/data-dir" 2>/dev/null || true)"
  [[ -n "$DATA_DIR" ]] || DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tidecast-kafka-$PORT.XXXXXX")"
  mkdir -p "$DATA_DIR"
  echo "$DATA_DIR" >"$RUN/data-dir"
  [[ -z "$SASL_PORT" ]] || make_tls
  write_config
  if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
    # A cluster id is 16 random bytes in URL-safe base64 without padding, as `kafka-storage random-uuid` makes.
    local cluster_id
    # One starting with "-" would be read as an option by kafka-storage: draw again.
    cluster_id="-"
    while [[ "$cluster_id" == -* ]]; do cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; done
    local scram=()
    [[ -z "$SASL_PORT" ]] || scram=(--add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]")
    java_cmd -Dlog4j.configuration="file:$RUN/log4j.properties" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$RUN/server.properties" --ignore-formatted "${scram[@]}" </dev/null >"$RUN/format.log" 2>&1 \
      || { cat "$RUN/format.log" >&2; rm -rf "$RUN"; die "formatting $DATA_DIR failed"; }
  fi
  : >"$RUN/server.log"
  nohup java $HEAP -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$RUN/log4j.properties" -Dlog4j2.configurationFile="$RUN/log4j2.properties" -cp "$LIBS/*" \
    kafka.Kafka "$RUN/server.properties" </dev/null >"$RUN/stdout.log" 2>&1 &
  echo $! >"$RUN/pid"
  local deadline=$((SECONDS + TIMEOUT))
  until grep -q "Kafka Server started" "$RUN/server.log" 2>/dev/null && port_open; do
    if ! pid_alive; then
      tail -n 40 "$RUN/stdout.log" "$RUN/server.log" >&2 || true
      die "broker exited during start-up"
    fi
    ((SECONDS < deadline)) || { stop_broker; die "broker not ready after ${TIMEOUT}s"; }
    sleep 0.2
  done
  log "ready on 127.0.0.1:$PORT (pid $(cat "$RUN/pid"), data $DATA_DIR)"
  [[ -z "$SASL_PORT" ]] || log "SASL_SSL (SCRAM-SHA-512, user $SASL_USER) on 127.0.0.1:$SASL_PORT; CA $RUN/tls/ca.pem"
  echo "127.0.0.1:$PORT"
}

stop_broker() {
  if pid_alive; then
    local pid
    pid="$(cat "$RUN/pid")"
    kill -TERM "$pid" 2>/dev/null || true
    # A controlled shutdown takes a few seconds; after 30 s the broker is killed.
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "broker $pid did not stop in 30 s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    log "stopped broker on 127.0.0.1:$PORT"
  fi
  rm -f "$RUN/pid"
}

stop() {
  [[ -d "$RUN" ]] || { log "nothing runs on port $PORT"; return 0; }
  stop_broker
  if [[ "$KEEP_DATA" == 0 ]]; then
    local dir
    dir="$(cat "$RUN/data-dir" 2>/dev/null || true)"
    [[ -n "$dir" && -d "$dir" ]] && rm -rf "$dir"
    rm -rf "$RUN"
  fi
}

status() {
  if pid_alive && port_open; then
    echo "running 127.0.0.1:$PORT pid $(cat "$RUN/pid")"
  else
    echo "stopped 127.0.0.1:$PORT"
    return 1
  fi
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
parse_args "$@"
case "$cmd" in
  fetch) fetch; echo "$LIBS" ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 fetch|start|stop|status [--port N] [--controller-port N] [--data-dir DIR] [--keep-data] [--sasl-port N]" ;;
esac
