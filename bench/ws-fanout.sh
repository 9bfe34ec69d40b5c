#!/usr/bin/env bash
# WebSocket fan-out benchmark: SUBSCRIBERS clients on eth_subscribe("newHeads") behind Railyard, nginx and HAProxy,
# one anvil node mining a block every INTERVAL_MS; per block, the time from the node's announcement (the first
# moment a gateway subscribed to it can see the block) to the last subscriber receiving it, the gateway's RSS and
# CPU, and what each row costs the node (its connections). Loopback only, bounded in time; see bench/README.md.
#
#   bench/ws-fanout.sh                                  # defaults: 10,000 subscribers, 60 blocks, all three rows
#   SUBSCRIBERS=1000 BLOCKS=10 ROWS=railyard bench/ws-fanout.sh   # a quick check
#
# Environment (defaults in brackets):
#   SUBSCRIBERS [10000]    WebSocket clients per row, each with one newHeads subscription
#   WORKERS [4]            Node.js processes the subscribers are spread over (one process parsing 10,000
#                          notifications in turn would itself be the slowest subscriber)
#   BLOCKS [60]            blocks mined and measured per row, INTERVAL_MS [1000] apart, after WARMUP_BLOCKS [5]
#                          unmeasured ones (delivered to every subscriber too)
#   ROWS ["railyard nginx haproxy"]
#   PROXY_SUBSCRIBERS [SUBSCRIBERS, or what the open-files limit allows]: subscribers of the nginx and HAProxy rows,
#                          which hold two sockets per subscriber (ulimit -Hn 20000 allows 9,500)
#   JAR, BUILD, JAVA, JAVA_OPTS [-Xmx256m -XX:+UseSerialGC], ANVIL, NODE [node], TIME_LIMIT [1800],
#   RESULTS [bench/WS-RESULTS.md], KEEP_LOGS [1]: configs and logs to bench/out-ws/ at exit
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
cd "$ROOT"

SUBSCRIBERS=${SUBSCRIBERS:-10000}
WORKERS=${WORKERS:-4}
BLOCKS=${BLOCKS:-60}
WARMUP_BLOCKS=${WARMUP_BLOCKS:-5}
INTERVAL_MS=${INTERVAL_MS:-1000}
ROWS=${ROWS:-"railyard nginx haproxy"}
JAR=${JAR:-target/quarkus-app/quarkus-run.jar}
BUILD=${BUILD:-auto}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}
ANVIL=${ANVIL:-$ROOT/src/test/anvil/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}
NODE=${NODE:-node}
TIME_LIMIT=${TIME_LIMIT:-1800}
RESULTS=${RESULTS:-$BENCH/WS-RESULTS.md}
KEEP_LOGS=${KEEP_LOGS:-1}
OUT_DIR="$BENCH/out-ws"
FANOUT="$BENCH/ws-fanout/fanout.cjs"
CHAIN_ID=31337
COMMAND_LINE="SUBSCRIBERS=$SUBSCRIBERS WORKERS=$WORKERS BLOCKS=$BLOCKS WARMUP_BLOCKS=$WARMUP_BLOCKS INTERVAL_MS=$INTERVAL_MS ROWS=\"$ROWS\" JAVA_OPTS=\"$JAVA_OPTS\" bench/ws-fanout.sh"

log() { printf '[ws-fanout %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/ws-fanout.sh: %s\n' "$*" >&2; exit 1; }

BENCH_LIB="$BENCH/lib"
for part in setup measure; do
  # shellcheck source=/dev/null
  source "$BENCH_LIB/$part.sh"
done

prerequisites() {
  local cmd missing=()
  for cmd in curl ss awk "$NODE" "$JAVA"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
  [[ " $ROWS " != *" nginx "* ]] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  [[ " $ROWS " != *" haproxy "* ]] || command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  ((${#missing[@]} == 0)) || die "missing ${missing[*]} (bench/README.md lists the packages)"
  local row
  for row in $ROWS; do [[ $row == railyard || $row == nginx || $row == haproxy ]] || die "ROWS: unknown row '$row'"; done
  [[ $WARMUP_BLOCKS =~ ^[0-9]+$ ]] || die "WARMUP_BLOCKS must be a whole number"
  [[ $SUBSCRIBERS =~ ^[1-9][0-9]*$ && $WORKERS =~ ^[1-9][0-9]*$ && $BLOCKS =~ ^[1-9][0-9]*$ && $INTERVAL_MS =~ ^[1-9][0-9]*$ ]] ||
    die "SUBSCRIBERS, WORKERS, BLOCKS and INTERVAL_MS must be positive integers"
  # Each subscriber is one open file in the gateway, and two in a byte proxy (the client's socket and its own socket
  # to the node). Where the open-files limit cannot take that, the proxy's row runs with as many subscribers as fit,
  # and its table row says how many.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  local files
  files=$(ulimit -n)
  ((SUBSCRIBERS + 500 <= files)) || die "open-files limit $files is below the $((SUBSCRIBERS + 500)) the gateway needs for $SUBSCRIBERS subscribers (ulimit -n)"
  PROXY_SUBSCRIBERS=${PROXY_SUBSCRIBERS:-$(( SUBSCRIBERS < (files - 1000) / 2 ? SUBSCRIBERS : (files - 1000) / 2 ))}
  if [[ ! -x $ANVIL || ! -d $ROOT/src/test/anvil/node_modules/ws ]]; then
    log "test tools missing: installing them with src/test/anvil/install.sh (needs npm)"
    bash "$ROOT/src/test/anvil/install.sh" || die "could not install the test tools (Node.js 20+ with npm is needed)"
  fi
  if [[ $BUILD == always || ( $BUILD == auto && ! -f $JAR ) ]]; then
    log "building the gateway: ./mvnw -B -q package -DskipTests"
    ./mvnw -B -q package -DskipTests || die "the gateway build failed"
  fi
  [[ -f $JAR ]] || die "no gateway jar at $JAR (build it with ./mvnw -B package -DskipTests)"
}

start_anvil() {
  free_port
  ANVIL_PORT=$PORT
  start_bg anvil "$ANVIL" --no-mining --host 127.0.0.1 --port "$ANVIL_PORT" --chain-id "$CHAIN_ID" --quiet
  ANVIL_PID=$STARTED_PID
  wait_for anvil "$ANVIL_PID" "http://127.0.0.1:$ANVIL_PORT/" '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' 30
  post "http://127.0.0.1:$ANVIL_PORT/" '{"jsonrpc":"2.0","id":1,"method":"anvil_mine","params":["0x80","0x1"]}' >/dev/null
  log "anvil on port $ANVIL_PORT"
}

start_railyard() {
  free_port; local port=$PORT
  free_port; local management=$PORT
  local limit=$((SUBSCRIBERS + 100)) java_opts=()
  read -r -a java_opts <<<"$JAVA_OPTS"
  local cmd=("$JAVA" "${java_opts[@]}" -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$port"
    -Dquarkus.management.host=127.0.0.1 "-Dquarkus.management.port=$management"
    "-Drailyard.networks.dev.chain-id=$CHAIN_ID" "-Drailyard.networks.dev.upstreams.u0.url=http://127.0.0.1:$ANVIL_PORT"
    "-Drailyard.websocket.max-connections=$limit" "-Drailyard.websocket.max-connections-per-client=$limit"
    -jar "$JAR")
  printf '%s\n' "${cmd[*]}" >"$WORK/railyard.cmd"
  start_bg railyard "${cmd[@]}"
  RAILYARD_PID=$STARTED_PID
  local deadline=$((SECONDS + 90))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$management/q/health/ready" || true) == 200 ]]; do
    kill -0 "$RAILYARD_PID" 2>/dev/null || { tail -n 40 "$WORK/railyard.log" >&2; die "the gateway exited at startup (log above)"; }
    ((SECONDS < deadline)) || die "the gateway was not ready within 90 s"
    sleep 0.1
  done
  ROW_URL[railyard]="ws://127.0.0.1:$port/dev"
  ROW_PIDS[railyard]=$RAILYARD_PID
  ROW_N[railyard]=$SUBSCRIBERS
  RAILYARD_MANAGEMENT=$management
  log "railyard on port $port (management $management)"
}

start_nginx_ws() {
  free_port; local port=$PORT dir="$WORK/nginx"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes auto;
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $((2 * PROXY_SUBSCRIBERS + 200)); }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://127.0.0.1:$ANVIL_PORT;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 1h;
    }
  }
}
CONF
  start_bg nginx nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf"
  NGINX_PID=$STARTED_PID
  echo "127.0.0.1:$port" >"$WORK/nginx.cfg"
  wait_listening nginx "$NGINX_PID" "$port"
  ROW_URL[nginx]="ws://127.0.0.1:$port/"
  ROW_PIDS[nginx]="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
  ROW_N[nginx]=$PROXY_SUBSCRIBERS
  log "nginx WebSocket proxy on port $port"
}

start_haproxy_ws() {
  free_port; local port=$PORT
  cat >"$WORK/haproxy.cfg" <<CONF
global
  maxconn $((PROXY_SUBSCRIBERS + 200))
defaults
  mode http
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
frontend ws
  bind 127.0.0.1:$port
  maxconn $((PROXY_SUBSCRIBERS + 200))
  default_backend node
backend node
  server n0 127.0.0.1:$ANVIL_PORT maxconn $((PROXY_SUBSCRIBERS + 200))
CONF
  start_bg haproxy haproxy -db -f "$WORK/haproxy.cfg"
  HAPROXY_PID=$STARTED_PID
  wait_listening haproxy "$HAPROXY_PID" "$port"
  ROW_URL[haproxy]="ws://127.0.0.1:$port/"
  ROW_PIDS[haproxy]=$HAPROXY_PID
  ROW_N[haproxy]=$PROXY_SUBSCRIBERS
  log "HAProxy on port $port"
}

node_connections() { ss -Htn state established "( dport = :$ANVIL_PORT )" | wc -l; }

# measure_row ROW: subscribers on, blocks mined, subscribers off; sets R_* for the row
declare -A ROW_URL=() ROW_PIDS=() ROW_N=() R_IDLE_RSS=() R_RSS=() R_CPU=() R_NODE=() R_REPORT=() R_SETUP=() R_CLIENT_CPU=()
measure_row() {
  local row=$1 pids i t0 ready=0 worker_pids=() n
  local left=${ROW_N[$row]} per=$(((ROW_N[$row] + WORKERS - 1) / WORKERS))
  read -r -a pids <<<"${ROW_PIDS[$row]}"
  R_IDLE_RSS[$row]=$(rss_kb "${pids[@]}")
  local before_node
  before_node=$(node_connections)
  t0=$(now_ms)
  for ((i = 0; i < WORKERS && left > 0; i++)); do
    n=$((left < per ? left : per))
    left=$((left - n))
    NODE_PATH="$ROOT/src/test/anvil/node_modules" "$NODE" "$FANOUT" subscribe "${ROW_URL[$row]}" "$n" "$WORK/$row-sub-$i.json" \
      >"$WORK/$row-sub-$i.out" 2>"$WORK/$row-sub-$i.log" &
    worker_pids+=($!)
    PIDS+=($!)
  done
  local deadline=$((SECONDS + 120))
  while ((ready < ${#worker_pids[@]})); do
    ready=$(cat "$WORK/$row"-sub-*.out 2>/dev/null | grep -c '^ready' || true)
    ((SECONDS < deadline)) || die "$row: subscribers not ready within 120 s ($(cat "$WORK/$row"-sub-*.out | tr '\n' ' '))"
    sleep 0.2
  done
  R_SETUP[$row]=$(($(now_ms) - t0))
  R_NODE[$row]=$(($(node_connections) - before_node))
  local sampler cpu0
  rm -f "$WORK/$row.rss"
  sample_rss "$WORK/$row.rss" "${pids[@]}" &
  sampler=$!
  CURRENT_SAMPLER=$sampler
  if [[ $row == railyard ]]; then read -r FANOUT_COUNT0 FANOUT_SUM0 < <(fanout_totals); fi
  cpu0=$(cpu_ticks "${pids[@]}")
  local clients0
  clients0=$(cpu_ticks "${worker_pids[@]}")
  log "$row: ${ROW_N[$row]} subscribers in ${R_SETUP[$row]} ms ($(cat "$WORK/$row"-sub-*.out | awk '{f += $3} END {print f + 0}') refused); $WARMUP_BLOCKS warm-up blocks, then $BLOCKS measured"
  # Warm-up blocks (the JIT's first fan-outs) are delivered but not measured: the report reads only the measured miner's blocks.
  NODE_PATH="$ROOT/src/test/anvil/node_modules" "$NODE" "$FANOUT" mine "ws://127.0.0.1:$ANVIL_PORT/" "$WARMUP_BLOCKS" "$INTERVAL_MS" "$WORK/$row-warmup.json" \
    2>"$WORK/$row-miner.log" || die "$row: the miner failed ($(cat "$WORK/$row-miner.log"))"
  NODE_PATH="$ROOT/src/test/anvil/node_modules" "$NODE" "$FANOUT" mine "ws://127.0.0.1:$ANVIL_PORT/" "$BLOCKS" "$INTERVAL_MS" "$WORK/$row-mined.json" \
    2>"$WORK/$row-miner.log" || die "$row: the miner failed ($(cat "$WORK/$row-miner.log"))"
  R_CPU[$row]=$(($(cpu_ticks "${pids[@]}") - cpu0))
  R_CLIENT_CPU[$row]=$(($(cpu_ticks "${worker_pids[@]}") - clients0))
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  CURRENT_SAMPLER=""
  R_RSS[$row]=$(sort -n "$WORK/$row.rss" | tail -n 1)
  for i in "${worker_pids[@]}"; do kill -TERM "$i" 2>/dev/null || true; done
  for i in "${worker_pids[@]}"; do wait "$i" 2>/dev/null || true; done
  R_REPORT[$row]=$("$NODE" "$FANOUT" report "$WORK/$row-mined.json" "$WORK/$row"-sub-*.json)
  if [[ $row == railyard ]]; then
    # The gateway's own share over the measured blocks: from a head's notification setting out to the last one written.
    read -r FANOUT_COUNT FANOUT_SUM < <(fanout_totals)
    FANOUT_MEAN=$(awk -v c0="$FANOUT_COUNT0" -v s0="$FANOUT_SUM0" -v c="$FANOUT_COUNT" -v s="$FANOUT_SUM" \
      'BEGIN {if (c > c0) printf "%.1f", (s - s0) * 1000 / (c - c0); else print "–"}')
    FANOUT_P99=$(curl -s "http://127.0.0.1:$RAILYARD_MANAGEMENT/q/metrics" | awk '/^railyard_stream_fanout_seconds\{.*quantile="0.99"/ {printf "%.1f", $2 * 1000}')
  fi
  log "$row: ${R_REPORT[$row]}"
  sleep 2   # sockets closed, upstream subscriptions of the proxies gone, before the next row
}

fanout_totals() { # count and sum of railyard_stream_fanout_seconds now
  curl -s "http://127.0.0.1:$RAILYARD_MANAGEMENT/q/metrics" |
    awk '/^railyard_stream_fanout_seconds_count\{/ {c = $2} /^railyard_stream_fanout_seconds_sum\{/ {s = $2} END {print c + 0, s + 0}'
}

field() { # field JSON NAME
  "$NODE" -e 'const r = JSON.parse(process.argv[1]); const v = r[process.argv[2]]; console.log(v === null || v === undefined ? "–" : v)' "$1" "$2"
}

write_results() {
  local row mb idle per_block clients
  {
    echo "# WebSocket fan-out benchmark"
    echo
    echo "\`$COMMAND_LINE\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average before: $LOAD_BEFORE."
    echo "One anvil node mines a block every ${INTERVAL_MS} ms; $SUBSCRIBERS WebSocket clients (in $WORKERS Node.js processes on the"
    echo "same machine) each hold one \`eth_subscribe(\"newHeads\")\`. Latency is from the node announcing a block to a reference"
    echo "socket straight on the node (the earliest a gateway subscribed to the node can see it) to each subscriber receiving it."
    echo
    echo "| row | subscribers | delivered / expected | gaps | duplicates | last subscriber p50 | last subscriber p99 | last max | each delivery p99 | last subscriber from evm_mine p99 | node connections | RSS idle → with subscribers | CPU per block | clients' CPU per block |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for row in $ROWS; do
      local r=${R_REPORT[$row]}
      idle=$(awk -v k="${R_IDLE_RSS[$row]}" 'BEGIN {printf "%.0f", k / 1024}')
      mb=$(awk -v k="${R_RSS[$row]}" 'BEGIN {printf "%.0f", k / 1024}')
      per_block=$(awk -v t="${R_CPU[$row]}" -v b="$BLOCKS" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", t * 1000 / hz / b}')
      clients=$(awk -v t="${R_CLIENT_CPU[$row]}" -v b="$BLOCKS" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", t * 1000 / hz / b}')
      echo "| $row | ${ROW_N[$row]} | $(field "$r" deliveries) / $(field "$r" expected) | $(field "$r" gaps) | $(field "$r" duplicates) | $(field "$r" lastP50) ms | $(field "$r" lastP99) ms | $(field "$r" lastMax) ms | $(field "$r" eachP99) ms | $(field "$r" lastFromMiningP99) ms | ${R_NODE[$row]} | $idle → $mb MiB | $per_block ms | $clients ms |"
    done
    echo
    if [[ -n ${FANOUT_P99:-} ]]; then
      echo "Railyard's own share, from its \`railyard_stream_fanout_seconds\` (a head's notification setting out to the last one"
      echo "written to its socket, the subscribers' reading left out): mean ${FANOUT_MEAN} ms over the measured blocks, p99 ${FANOUT_P99} ms"
      echo "(the meter's p99 of the last two minutes, warm-up blocks included)."
      echo
    fi
    echo "For nginx and HAProxy the node itself announces each block to every subscriber's own upstream socket, the reference"
    echo "socket among them, so the columns timed from the announcement show only what the proxy adds; compare the rows by the"
    echo "\`evm_mine\` column, which includes the node's work."
    echo
    echo "\"node connections\": TCP connections to the node opened for the row's subscribers (Railyard keeps one"
    echo "subscription per upstream whatever the number of clients; a byte proxy opens one per client). CPU per block: the"
    echo "proxy's user + system CPU during the mining, divided by the blocks (it includes pings and the proxy's idle work)."
    echo "Each row's raw figures (per-socket gaps and duplicates, refused connections) are in \`bench/out-ws/\`."
  } >"$RESULTS"
}

main() {
  prerequisites
  CLK_TCK=$(getconf CLK_TCK)
  begin_run bench/ws-fanout.sh railyard-ws-bench
  start_anvil
  local row
  for row in $ROWS; do
    case $row in
      railyard) start_railyard ;;
      nginx) start_nginx_ws ;;
      haproxy) start_haproxy_ws ;;
    esac
  done
  for row in $ROWS; do measure_row "$row"; done
  if [[ " $ROWS " == *" railyard "* ]]; then
    curl -s "http://127.0.0.1:$RAILYARD_MANAGEMENT/q/metrics" | grep -E '^railyard_(ws_|stream_)' >"$WORK/railyard-meters.txt" || true
  fi
  write_results
  cat "$RESULTS"
}

main "$@"
