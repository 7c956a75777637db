#!/usr/bin/env bash
# InfluxDB 1.x and VictoriaMetrics for the integration tests: install from Debian if missing,
# start on loopback with a generated config and data in a temp dir, stop.
#
#   scripts/influxdb.sh install
#   scripts/influxdb.sh start [influxdb|victoria-metrics] STATE_DIR   -> prints "url=http://127.0.0.1:PORT"
#   scripts/influxdb.sh stop  STATE_DIR
#
# INFLUX_PORT=N start ... reuses a port (a restart with the same data dir keeps the data).
# INFLUX_ADMIN=user:password start influxdb ... starts it with auth-enabled = true and creates that admin
# user (InfluxDB 1.x lets the first admin be created without credentials), so clients must log in.
#
# The packages' own services are never relied on (nor started when we can help it): each test run
# starts its own process on a free port, so a system service or a parallel run cannot interfere.
set -euo pipefail

cmd="${1:-}"

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_http() { # url, pid, log
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then echo "server exited; log:" >&2; tail -n 40 "$3" >&2; return 1; fi
    sleep 0.1
  done
  echo "server did not answer $1 within 30 s; log:" >&2; tail -n 40 "$3" >&2; return 1
}

install() {
  local need=()
  command -v influxd >/dev/null 2>&1 || need+=(influxdb)
  [ -x /usr/bin/victoria-metrics ] || command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  [ ${#need[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the packages' services from starting: we run our own instances. policy-rc.d is only
  # created (and removed) by us when absent.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1
  fi
  local rc=0
  { $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null &&
    $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}" </dev/null; } || rc=$?
  [ $made_policy -eq 1 ] && $sudo rm -f "$policy"
  return $rc
}

start_influxdb() { # dir
  local dir="$1" port bind_port auth=false
  [ -n "${INFLUX_ADMIN:-}" ] && auth=true
  port="${INFLUX_PORT:-$(free_port)}"; bind_port="$(free_port)"
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:${bind_port}"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  auth-enabled = ${auth}
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
[[udp]]
  enabled = false
CONF
  influxd run -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 </dev/null &
  echo $! >"$dir/influxd.pid"
  wait_http "http://127.0.0.1:${port}/ping" "$(cat "$dir/influxd.pid")" "$dir/influxd.log"
  if [ "$auth" = true ]; then
    local user="${INFLUX_ADMIN%%:*}" pass="${INFLUX_ADMIN#*:}"
    # Creates the admin on first start; on a restart with the same data it already exists (ask as it).
    curl -fsS -o /dev/null -u "$user:$pass" -XPOST "http://127.0.0.1:${port}/query" \
      --data-urlencode "q=CREATE USER \"$user\" WITH PASSWORD '$pass' WITH ALL PRIVILEGES" ||
      { echo "could not create the InfluxDB admin user" >&2; return 1; }
  fi
  echo "$port" >"$dir/influxd.port"
  echo "url=http://127.0.0.1:${port}"
}

start_vm() { # dir
  local dir="$1" port bin
  port="${INFLUX_PORT:-$(free_port)}"
  bin="$(command -v victoria-metrics || echo /usr/bin/victoria-metrics)"
  mkdir -p "$dir/vm-data"
  "$bin" -storageDataPath "$dir/vm-data" -httpListenAddr "127.0.0.1:${port}" -retentionPeriod 100y \
    -search.latencyOffset 0s -loggerLevel ERROR >"$dir/vm.log" 2>&1 </dev/null &
  echo $! >"$dir/vm.pid"
  wait_http "http://127.0.0.1:${port}/health" "$(cat "$dir/vm.pid")" "$dir/vm.log"
  echo "$port" >"$dir/vm.port"
  echo "url=http://127.0.0.1:${port}"
}

stop_dir() { # dir: stops whatever this script started there
  local dir="$1" f pid
  for f in "$dir/influxd.pid" "$dir/vm.pid"; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

case "$cmd" in
  install) install ;;
  start)
    what="${2:?start influxdb|victoria-metrics DIR}"; dir="${3:?state dir}"
    case "$what" in
      influxdb) start_influxdb "$dir" ;;
      victoria-metrics) start_vm "$dir" ;;
      *) echo "unknown server: $what" >&2; exit 2 ;;
    esac ;;
  stop) stop_dir "${2:?state dir}" ;;
  *) echo "usage: $0 install | start influxdb|victoria-metrics DIR | stop DIR" >&2; exit 2 ;;
esac
