#!/usr/bin/env bash
# Railyard benchmark: one command, loopback only, bounded in time. See bench/README.md.
#
# Starts on free 127.0.0.1 ports: three anvil nodes, three static nginx JSON-RPC upstreams (and 30 for the
# 30-upstream row), nginx proxy_pass and HAProxy in front of the same upstreams, and two Railyard gateways
# (features on: default config; features off: cache disabled, HTTP server metrics ignored, probes every 60 s;
# and "twin": features on with exactly the off gateway's networks and warm-up, the control for the on/off cost).
# Runs wrk against every target in turn, interleaved, after a warm-up, best of RUNS; prints one table and writes
# bench/RESULTS.md. Everything started here is stopped by the EXIT trap.
#
#   bench/run.sh                              # defaults: DURATION=5s RUNS=3 CONNECTIONS=32 WARMUP=3s
#   DURATION=2s RUNS=1 WARMUP=1s bench/run.sh # a quick check
#
# Environment (defaults in brackets):
#   DURATION [5s]          length of one measured wrk run (wrk syntax: 5s, 10s, 1m)
#   RUNS [3]               measured runs per target; the best (highest req/s; lowest p99 when paced) is reported
#   CONNECTIONS [32]       wrk connections of the saturated runs (wrk -t$THREADS -c$CONNECTIONS)
#   THREADS [1]            wrk threads
#   WARMUP [3s]            one unmeasured run per target before the measured rounds
#   GATEWAY_WARMUP [15s]   before those, an unmeasured run on each gateway's round-robin row of each table (JIT)
#   PACED_SHARE [0.5]      the moderate-load runs (pass-through rows only) aim at this share of Railyard round-robin's
#                          saturated rate, measured in the same run: their connection count is calibrated per table
#   PACED_CONNECTIONS [auto] or a fixed connection count for the moderate-load runs instead of the calibration
#   PACED_DELAY_MS [1]     pause of each connection after every answer in those runs (0 disables them)
#   TABLES ["anvil static"] which tables to run
#   UPSTREAMS30 [1]        add the "Railyard round-robin, 30 static upstreams" row (0 to skip)
#   TIME_LIMIT [3600]      hard limit in seconds for the whole script
#   JAR [target/quarkus-app/quarkus-run.jar]; BUILD [auto]: build the jar when missing (always|auto|never)
#   JAVA [java], JAVA_OPTS [-Xmx256m -XX:+UseSerialGC: the image's collector]; ANVIL [the build's src/test/anvil/... binary, installed when missing]
#   OFF_PROPS [-Drailyard.cache.enabled=false -Drailyard.health.interval=60s
#              -Dquarkus.micrometer.binder.http-server.ignore-patterns=/.*]: the "features off" gateway's settings
#   FLOOR [1]              add the "bare Vert.x forwarder" and "bare Netty forwarder" rows (bench/floor/*.java, compiled with JAVAC
#                          [javac] against the jar's libraries; skipped with a note when javac is missing; 0 to skip)
#   RESULTS [bench/RESULTS.md]; KEEP_LOGS [1]: copy configs and logs to bench/out/ at exit
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
cd "$ROOT"

DURATION=${DURATION:-5s}
RUNS=${RUNS:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-3s}
GATEWAY_WARMUP=${GATEWAY_WARMUP:-15s}
PACED_SHARE=${PACED_SHARE:-0.5}
PACED_CONNECTIONS=${PACED_CONNECTIONS:-auto}
PACED_DELAY_MS=${PACED_DELAY_MS:-1}
TABLES=${TABLES:-"anvil static"}
UPSTREAMS30=${UPSTREAMS30:-1}
TIME_LIMIT=${TIME_LIMIT:-3600}
JAR=${JAR:-target/quarkus-app/quarkus-run.jar}
BUILD=${BUILD:-auto}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}
ANVIL=${ANVIL:-$ROOT/src/test/anvil/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
KEEP_LOGS=${KEEP_LOGS:-1}
FLOOR=${FLOOR:-1}
JAVAC=${JAVAC:-javac}
DEFAULT_OFF_PROPS="-Drailyard.cache.enabled=false -Drailyard.health.interval=60s -Dquarkus.micrometer.binder.http-server.ignore-patterns=/.*"
OFF_PROPS=${OFF_PROPS:-$DEFAULT_OFF_PROPS}
LUA="$BENCH/jsonrpc.lua"
STATIC_BLOCK="$BENCH/static-block.json"

CHAIN_ID=31337
ANVIL_BLOCKS=100          # mined before anything starts: anvil's finalized block is then head - 64 = 36
ANVIL_FINAL_BLOCK=0x10    # a final block on the anvil nodes
STATIC_FINAL_BLOCK=0x1312d00   # block 20,000,000: the number in bench/static-block.json
STATIC_HEAD=0x1312d40          # the static upstreams' eth_blockNumber: 64 blocks later

COMMAND_LINE="DURATION=$DURATION RUNS=$RUNS CONNECTIONS=$CONNECTIONS THREADS=$THREADS WARMUP=$WARMUP GATEWAY_WARMUP=$GATEWAY_WARMUP PACED_SHARE=$PACED_SHARE PACED_CONNECTIONS=$PACED_CONNECTIONS PACED_DELAY_MS=$PACED_DELAY_MS TABLES=\"$TABLES\" UPSTREAMS30=$UPSTREAMS30 JAVA_OPTS=\"$JAVA_OPTS\" bench/run.sh"

[[ $OFF_PROPS == "$DEFAULT_OFF_PROPS" ]] || COMMAND_LINE="OFF_PROPS=\"$OFF_PROPS\" $COMMAND_LINE"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------------------------------- prerequisites

check_prerequisites() {
  local missing=() pkgs=()
  local -A package=([wrk]=wrk [nginx]=nginx [haproxy]=haproxy [curl]=curl [ss]=iproute2 [pgrep]=procps
                    [awk]=mawk [getconf]=libc-bin)
  for cmd in wrk nginx haproxy curl ss pgrep awk getconf; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
      missing+=("$cmd"); pkgs+=("${package[$cmd]}")
    fi
  done
  if ! command -v "$JAVA" >/dev/null 2>&1; then
    missing+=("$JAVA"); pkgs+=(openjdk-17-jdk-headless)
  fi
  if ((${#missing[@]})); then
    die "missing ${missing[*]}; on Debian/Ubuntu: sudo apt-get install ${pkgs[*]}"
  fi
  for t in $TABLES; do
    [[ $t == anvil || $t == static ]] || die "TABLES: unknown table '$t' (anvil, static)"
  done
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'"
  [[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer, not '$CONNECTIONS'"
  [[ $PACED_CONNECTIONS == auto || $PACED_CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "PACED_CONNECTIONS must be auto or a positive integer, not '$PACED_CONNECTIONS'"
  awk -v s="$PACED_SHARE" 'BEGIN {exit !(s ~ /^(0?\.[0-9]+|1(\.0*)?)$/ && s > 0)}' || die "PACED_SHARE must be a number above 0 and at most 1, not '$PACED_SHARE'"
  [[ $PACED_DELAY_MS =~ ^[0-9]+$ ]] || die "PACED_DELAY_MS must be a whole number of milliseconds"
  seconds_of "$DURATION" >/dev/null && seconds_of "$WARMUP" >/dev/null && seconds_of "$GATEWAY_WARMUP" >/dev/null
  [[ -f $STATIC_BLOCK && -f $LUA ]] || die "bench/static-block.json or bench/jsonrpc.lua is missing"
  if [[ " $TABLES " == *" anvil "* && ! -x $ANVIL ]]; then
    log "anvil missing at $ANVIL: installing it with src/test/anvil/install.sh (needs npm)"
    bash "$ROOT/src/test/anvil/install.sh" || die "could not install anvil (Node.js 20+ with npm is needed), or set ANVIL=/path/to/anvil"
    [[ -x $ANVIL ]] || die "anvil is still missing at $ANVIL"
  fi
  if [[ $BUILD == always || ( $BUILD == auto && ! -f $JAR ) ]]; then
    log "building the gateway: ./mvnw -B -q package -DskipTests"
    ./mvnw -B -q package -DskipTests || die "the gateway build failed"
  fi
  [[ -f $JAR ]] || die "no gateway jar at $JAR (build it with ./mvnw -B package -DskipTests)"
}

# wrk duration syntax → whole seconds
seconds_of() {
  local d=$1
  case $d in
    *ms) die "durations below a second are not supported: $d" ;;
    *s) echo "${d%s}" ;;
    *m) echo $((${d%m} * 60)) ;;
    *h) echo $((${d%h} * 3600)) ;;
    *[0-9]) echo "$d" ;;
    *) die "not a duration: $d" ;;
  esac
}

# ------------------------------------------------------------------------------------------- processes

PIDS=()
WORK=""
WATCHDOG=""
CURRENT_WRK=""
CURRENT_SAMPLER=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local extra
  for extra in "$WATCHDOG" "$CURRENT_WRK" "$CURRENT_SAMPLER"; do
    if [[ -n $extra ]]; then kill "$extra" 2>/dev/null || true; fi
  done
  local i pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ $KEEP_LOGS == 1 ]]; then
      rm -rf "$BENCH/out" && mkdir -p "$BENCH/out" && cp -r "$WORK"/. "$BENCH/out/" 2>/dev/null || true
      rm -rf "$BENCH/out/nginx-"*/tmp 2>/dev/null || true
    fi
    rm -rf "$WORK"
  fi
  exit "$status"
}

# start_bg NAME CMD... : runs CMD in the background, output to $WORK/NAME.log; sets STARTED_PID
start_bg() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}

declare -A USED_PORTS=()
# free_port: sets PORT to a port nothing on the machine uses, below the ephemeral range (so that no outgoing
# connection takes it before our server binds it)
free_port() {
  local low high p
  read -r low high </proc/sys/net/ipv4/ip_local_port_range
  ((low > 21000)) || low=60000
  for _ in $(seq 1 500); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % (low - 20000)))
    [[ -n ${USED_PORTS[$p]:-} ]] && continue
    if [[ -n $(ss -Htan "( sport = :$p )" 2>/dev/null) ]]; then continue; fi
    USED_PORTS[$p]=1
    PORT=$p
    return 0
  done
  die "found no free port"
}

# post URL BODY → prints the response body; fails on HTTP errors
post() {
  curl -sS --fail --max-time 10 -H 'Content-Type: application/json' --data-binary "$2" "$1"
}

# wait_for NAME PID URL BODY SECONDS: until URL answers BODY with a JSON-RPC result
wait_for() {
  local name=$1 pid=$2 url=$3 body=$4 limit=$5 deadline
  deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$WORK/$name.log" >&2 || true; die "$name exited at startup (log above)"; }
    if post "$url" "$body" 2>/dev/null | grep -q '"result"'; then
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$WORK/$name.log" >&2 || true
  die "$name did not answer $url within ${limit}s (log above)"
}

# wait_listening NAME PID PORTS...: until every port that is in use by a config is listening
wait_listening() {
  local name=$1 pid=$2 p deadline
  shift 2
  deadline=$((SECONDS + 30))
  for p in "$@"; do
    # Ports of a table that is not run are allocated but not configured: skip those that no config names.
    grep -rqs -- "127.0.0.1:$p" "$WORK"/*.cfg "$WORK"/*/nginx.conf || continue
    until [[ -n $(ss -Hltn "( sport = :$p )" 2>/dev/null) ]]; do
      kill -0 "$pid" 2>/dev/null || { tail -n 30 "$WORK/$name.log" >&2 || true; die "$name exited at startup (log above)"; }
      ((SECONDS < deadline)) || die "$name is not listening on port $p after 30 s"
      sleep 0.1
    done
  done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ------------------------------------------------------------------------------------------- upstreams

ANVIL_PORTS=()
ANVIL_PIDS=()
start_anvils() {
  local genesis i
  genesis=$(($(date +%s) - 86400))
  for i in 0 1 2; do
    free_port
    start_bg "anvil-$i" "$ANVIL" --no-mining --timestamp "$genesis" --host 127.0.0.1 --port "$PORT" \
      --chain-id "$CHAIN_ID" --quiet
    ANVIL_PORTS+=("$PORT")
    ANVIL_PIDS+=("$STARTED_PID")
  done
  for i in 0 1 2; do
    wait_for "anvil-$i" "${ANVIL_PIDS[i]}" "http://127.0.0.1:${ANVIL_PORTS[i]}/" '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' 30
    # The same blocks on every node: same genesis time, same mining calls (count, 1 s apart).
    post "http://127.0.0.1:${ANVIL_PORTS[i]}/" \
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_mine\",\"params\":[\"0x$(printf %x $ANVIL_BLOCKS)\",\"0x1\"]}" >/dev/null
  done
  local hashes
  hashes=$(for i in 0 1 2; do
    post "http://127.0.0.1:${ANVIL_PORTS[i]}/" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBlockByNumber\",\"params\":[\"$ANVIL_FINAL_BLOCK\",false]}" |
      grep -o '"hash":"0x[0-9a-f]*"' | head -n 1
  done | sort -u | wc -l)
  ((hashes == 1)) || log "warning: the anvil nodes hold different blocks $ANVIL_FINAL_BLOCK (the cache still works; answers differ by node)"
  log "anvil nodes on ports ${ANVIL_PORTS[*]}, $ANVIL_BLOCKS blocks mined"
}

# nginx_string_vars PREFIX FILE: sets CHUNK_MAPS to nginx config defining constant variables $PREFIX0..N that
# hold the file's text in chunks (one nginx config parameter cannot exceed 4 KB), and CHUNK_REFS to
# "$PREFIX0$PREFIX1...", which nginx expands back to the whole text.
nginx_string_vars() {
  local prefix=$1 text n=0 i
  text=$(<"$2")
  [[ $text != *"'"* && $text != *'$'* && $text != *'\'* ]] || die "$2 holds characters nginx strings cannot take"
  CHUNK_MAPS=""
  CHUNK_REFS=""
  for ((i = 0; i < ${#text}; i += 3000)); do
    CHUNK_MAPS+="  map \$server_port \$$prefix$n { default '${text:i:3000}'; }"$'\n'
    CHUNK_REFS+="\$$prefix$n"
    n=$((n + 1))
  done
}

nginx_common() { # $1 = instance dir
  cat <<EOF
daemon off;
worker_processes auto;
pcre_jit on;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
EOF
}

nginx_http_common() { # $1 = instance dir
  cat <<EOF
  access_log off;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
  default_type application/json;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
EOF
}

# start_nginx NAME CONF_TEXT: writes, checks and starts one nginx instance; sets STARTED_PID (its master)
start_nginx() {
  local name=$1 dir="$WORK/$1"
  mkdir -p "$dir/tmp"
  printf '%s\n' "$2" >"$dir/nginx.conf"
  nginx -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2>"$dir/check.log" ||
    { cat "$dir/check.log" >&2; die "nginx rejected $dir/nginx.conf"; }
  start_bg "$name" nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf"
}

# The static upstreams: nginx answering every JSON-RPC call from memory, by method, with the caller's id.
# nginx's `return` runs before the request body is read, so the body cannot choose the answer there. Here the
# mirror module (mirror_request_body on) reads the body in the precontent phase; empty_gif then refuses the POST
# with 405, and error_page sends that to a named location whose `return 200` builds the answer from two maps over
# $request_body: the id (echoed, as the gateway checks it) and the method's result. No proxying, no second hop.
# Batches: the gateway sends a client batch's uncached reads to one upstream as one JSON-RPC batch, and treats an
# upstream that answers a batch with a single object as one that takes no batches (one request per entry from then
# on). The static upstream answers exactly one batch shape as a node would, so the batch rows measure the gateway's
# batch path: BATCH_GROUP entries of eth_blockNumber, as the gateway encodes them (the uncached half of the client
# batch). Any other batch gets a single object; bench/run.sh reports if that ever happened during the run.
BATCH_GROUP=25
static_batch_map() {
  local k entries=() answers=()
  for ((k = 1; k <= BATCH_GROUP; k++)); do
    entries+=("\\{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":(?<b$k>[0-9]+),\\\"method\\\":\\\"eth_blockNumber\\\",\\\"params\\\":\\[\\]\\}")
    answers+=("{\"jsonrpc\":\"2.0\",\"id\":\$b$k,\"result\":\"$STATIC_HEAD\"}")
  done
  local IFS=,
  printf '  map $request_body $rpc_batch {\n    "~^\\[%s\\]$" '"'"'[%s]'"'"';\n    default '"'"'{"jsonrpc":"2.0","id":null,"result":null}'"'"';\n  }\n' \
    "${entries[*]}" "${answers[*]}"
}

# the upstream-side batch body that static_batch_map answers (ids FIRST..FIRST+BATCH_GROUP-1)
upstream_batch_body() {
  local first=$1 k items=()
  for ((k = 0; k < BATCH_GROUP; k++)); do
    items+=("{\"jsonrpc\":\"2.0\",\"id\":$((first + k)),\"method\":\"eth_blockNumber\",\"params\":[]}")
  done
  (IFS=,; printf '[%s]' "${items[*]}")
}

STATIC_PORTS=()
STATIC_PID=""
start_static_upstreams() {
  local count=3 i listens="" conf
  ((UPSTREAMS30 == 1)) && count=30
  for ((i = 0; i < count; i++)); do
    free_port
    STATIC_PORTS+=("$PORT")
    listens+="    listen 127.0.0.1:$PORT;"$'\n'
  done
  nginx_string_vars blk "$STATIC_BLOCK"
  conf="$(nginx_common "$WORK/nginx-static")
http {
$(nginx_http_common "$WORK/nginx-static")
$CHUNK_MAPS
  map \$request_body \$rpc_id {
    \"~\\\"id\\\"\\s*:\\s*(?<rpcid>-?[0-9]+|\\\"[^\\\"]*\\\"|null)\" \$rpcid;
    default null;
  }
  map \$request_body \$rpc_result {
    \"~\\\"method\\\"\\s*:\\s*\\\"eth_chainId\\\"\" '\"0x$(printf %x $CHAIN_ID)\"';
    \"~\\\"method\\\"\\s*:\\s*\\\"eth_blockNumber\\\"\" '\"$STATIC_HEAD\"';
    \"~\\\"method\\\"\\s*:\\s*\\\"eth_syncing\\\"\" 'false';
    \"~\\\"method\\\"\\s*:\\s*\\\"eth_getBlockByNumber\\\"\" $CHUNK_REFS;
    default 'null';
  }
$(static_batch_map)
  map \$request_body \$rpc_reply {
    \"~^\\s*\\[\" \$rpc_batch;
    default '{\"jsonrpc\":\"2.0\",\"id\":\$rpc_id,\"result\":\$rpc_result}';
  }
  server {
$listens
    client_body_buffer_size 64k;
    client_body_in_single_buffer on;
    location / {
      mirror /_read_body;
      mirror_request_body on;
      error_page 405 = @answer;
      empty_gif;
    }
    location = /_read_body { internal; return 204; }
    location @answer { return 200 \$rpc_reply; }
  }
}"
  start_nginx nginx-static "$conf"
  STATIC_PID=$STARTED_PID
  wait_for nginx-static "$STATIC_PID" "http://127.0.0.1:${STATIC_PORTS[0]}/" '{"jsonrpc":"2.0","id":7,"method":"eth_chainId","params":[]}' 30
  local got
  got=$(post "http://127.0.0.1:${STATIC_PORTS[0]}/" '{"jsonrpc":"2.0","id":"x7","method":"eth_getBlockByNumber","params":["finalized",false]}')
  [[ $got == "{\"jsonrpc\":\"2.0\",\"id\":\"x7\",\"result\":$(<"$STATIC_BLOCK")}" ]] ||
    die "the static upstream answered eth_getBlockByNumber wrongly: ${got:0:200}"
  local want k
  got=$(post "http://127.0.0.1:${STATIC_PORTS[0]}/" "$(upstream_batch_body 1000)")
  want=$(for ((k = 0; k < BATCH_GROUP; k++)); do printf '{"jsonrpc":"2.0","id":%d,"result":"%s"}\n' $((1000 + k)) "$STATIC_HEAD"; done | paste -sd, -)
  [[ $got == "[$want]" ]] || die "the static upstream answered a batch wrongly: ${got:0:200}"
  log "static nginx upstreams on ${#STATIC_PORTS[@]} ports (${STATIC_PORTS[*]:0:3} ...)"
}

# ------------------------------------------------------------------------------------------- proxies

NGINX_PROXY_PID=""
NGINX_ANVIL_PORT=""; NGINX_STATIC_PORT=""; NGINX_LIMIT_PORT=""
start_nginx_proxy() {
  local servers_anvil="" servers_static="" p i blocks="" conf
  free_port; NGINX_ANVIL_PORT=$PORT
  free_port; NGINX_STATIC_PORT=$PORT
  free_port; NGINX_LIMIT_PORT=$PORT
  for p in "${ANVIL_PORTS[@]}"; do servers_anvil+="    server 127.0.0.1:$p;"$'\n'; done
  for i in 0 1 2; do [[ -n ${STATIC_PORTS[i]:-} ]] && servers_static+="    server 127.0.0.1:${STATIC_PORTS[i]};"$'\n'; done
  if [[ -n $servers_anvil ]]; then
    blocks+="  upstream anvil {
$servers_anvil    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_ANVIL_PORT;
    location / { proxy_pass http://anvil; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }
"
  fi
  if [[ -n $servers_static ]]; then
    # The limit for cache hits: the gateway's cache-hit reply, byte for byte, from a plain `return 200`.
    printf '{"jsonrpc":"2.0","id":1,"result":%s}' "$(<"$STATIC_BLOCK")" >"$WORK/cached-reply.json"
    nginx_string_vars rep "$WORK/cached-reply.json"
    blocks+="  upstream static {
$servers_static    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_STATIC_PORT;
    location / { proxy_pass http://static; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
  }
$CHUNK_MAPS
  server {
    listen 127.0.0.1:$NGINX_LIMIT_PORT;
    location / { return 200 \"$CHUNK_REFS\"; }
  }
"
  fi
  conf="$(nginx_common "$WORK/nginx-proxy")
http {
$(nginx_http_common "$WORK/nginx-proxy")
$blocks}"
  start_nginx nginx-proxy "$conf"
  NGINX_PROXY_PID=$STARTED_PID
}

HAPROXY_PID=""
HAPROXY_ANVIL_PORT=""; HAPROXY_STATIC_PORT=""
start_haproxy() {
  local conf i
  free_port; HAPROXY_ANVIL_PORT=$PORT
  free_port; HAPROXY_STATIC_PORT=$PORT
  conf="global
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
"
  if ((${#ANVIL_PORTS[@]})); then
    conf+="frontend anvil
  bind 127.0.0.1:$HAPROXY_ANVIL_PORT
  default_backend anvil
backend anvil
  balance roundrobin
"
    for i in 0 1 2; do conf+="  server a$i 127.0.0.1:${ANVIL_PORTS[i]}"$'\n'; done
  fi
  if ((${#STATIC_PORTS[@]})); then
    conf+="frontend static
  bind 127.0.0.1:$HAPROXY_STATIC_PORT
  default_backend static
backend static
  balance roundrobin
"
    for i in 0 1 2; do conf+="  server s$i 127.0.0.1:${STATIC_PORTS[i]}"$'\n'; done
  fi
  printf '%s' "$conf" >"$WORK/haproxy.cfg"
  haproxy -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 ||
    { cat "$WORK/haproxy-check.log" >&2; die "haproxy rejected $WORK/haproxy.cfg"; }
  start_bg haproxy haproxy -db -f "$WORK/haproxy.cfg"
  HAPROXY_PID=$STARTED_PID
}

# The JVM floors, one process each: the same Vert.x and Netty as the gateway with none of Railyard
# (bench/floor/BareForwarder.java), and the same forwarding straight on Netty, without Vert.x
# (bench/floor/NettyForwarder.java).
FLOOR_PID=""; FLOOR_ANVIL_PORT=""; FLOOR_STATIC_PORT=""
NETTY_PID=""; NETTY_ANVIL_PORT=""; NETTY_STATIC_PORT=""
start_floor() {
  ((FLOOR == 1)) || return 0
  if ! command -v "$JAVAC" >/dev/null 2>&1; then
    log "no $JAVAC (a JDK, not a JRE, is needed): the bare forwarder rows are skipped"
    return 0
  fi
  local lib
  lib="$(cd "$(dirname "$JAR")" && pwd)/lib/main"
  mkdir -p "$WORK/floor"
  "$JAVAC" -nowarn -d "$WORK/floor" -cp "$lib/*" "$BENCH/floor/BareForwarder.java" "$BENCH/floor/NettyForwarder.java" \
    >"$WORK/floor-javac.log" 2>&1 ||
    { cat "$WORK/floor-javac.log" >&2; die "could not compile bench/floor/*.java (FLOOR=0 skips their rows)"; }
  start_forwarder floor BareForwarder "$lib"
  FLOOR_PID=$STARTED_PID; FLOOR_ANVIL_PORT=$FORWARDER_ANVIL_PORT; FLOOR_STATIC_PORT=$FORWARDER_STATIC_PORT
  start_forwarder netty NettyForwarder "$lib"
  NETTY_PID=$STARTED_PID; NETTY_ANVIL_PORT=$FORWARDER_ANVIL_PORT; NETTY_STATIC_PORT=$FORWARDER_STATIC_PORT
}

# start_forwarder NAME CLASS LIB: one bare forwarder process, listening for each table run; sets STARTED_PID and
# FORWARDER_ANVIL_PORT / FORWARDER_STATIC_PORT
start_forwarder() {
  local name=$1 class=$2 lib=$3 listeners=() java_opts=()
  FORWARDER_ANVIL_PORT=""; FORWARDER_STATIC_PORT=""
  if ((${#ANVIL_PORTS[@]})); then
    free_port; FORWARDER_ANVIL_PORT=$PORT
    listeners+=("$PORT=$(IFS=,; echo "${ANVIL_PORTS[*]}")")
  fi
  if ((${#STATIC_PORTS[@]})); then
    free_port; FORWARDER_STATIC_PORT=$PORT
    local three=("${STATIC_PORTS[@]:0:3}")
    listeners+=("$PORT=$(IFS=,; echo "${three[*]}")")
  fi
  # The listeners, so that wait_listening knows which ports to wait for.
  printf '127.0.0.1:%s\n' "${listeners[@]%%=*}" >"$WORK/$name.cfg"
  read -r -a java_opts <<<"$JAVA_OPTS"
  start_bg "$name" "$JAVA" "${java_opts[@]}" -cp "$WORK/floor:$lib/*" "$class" "${listeners[@]}"
  wait_listening "$name" "$STARTED_PID" ${FORWARDER_ANVIL_PORT:+"$FORWARDER_ANVIL_PORT"} ${FORWARDER_STATIC_PORT:+"$FORWARDER_STATIC_PORT"}
  log "$class on ${listeners[*]}"
}

# ------------------------------------------------------------------------------------------- gateways

# net_props NET ROUTING PORTS...: the system properties of one network
net_props() {
  local net=$1 routing=$2 i=0 p
  shift 2
  NET_PROPS+=("-Drailyard.networks.$net.chain-id=$CHAIN_ID" "-Drailyard.networks.$net.routing=$routing")
  for p in "$@"; do
    NET_PROPS+=("-Drailyard.networks.$net.upstreams.u$i.url=http://127.0.0.1:$p")
    i=$((i + 1))
  done
}

# start_gateway NAME: on (every network), twin (features on, only rr and srr) or off (like twin, plus OFF_PROPS)
declare -A GATEWAY_PORT=() GATEWAY_MANAGEMENT_PORT=() GATEWAY_PID=() GATEWAY_READY_MS=() GATEWAY_STARTED_LOG=() GATEWAY_CMD=() GATEWAY_SHAPE=()
start_gateway() {
  local name=$1 features=$1 t0 code ready deadline
  free_port
  local port=$PORT
  # Health and metrics are on the management interface, a port of their own (docs/operations.md).
  free_port
  local management_port=$PORT
  NET_PROPS=()
  if ((${#ANVIL_PORTS[@]})); then
    net_props rr round-robin "${ANVIL_PORTS[@]}"
    if [[ $features == on ]]; then
      net_props lc least-connections "${ANVIL_PORTS[@]}"
      net_props ih ip-hash "${ANVIL_PORTS[@]}"
    fi
  fi
  if ((${#STATIC_PORTS[@]})); then
    local three=("${STATIC_PORTS[@]:0:3}")
    net_props srr round-robin "${three[@]}"
    if [[ $features == on ]]; then
      net_props slc least-connections "${three[@]}"
      net_props sih ip-hash "${three[@]}"
      ((${#STATIC_PORTS[@]} >= 30)) && net_props s30 round-robin "${STATIC_PORTS[@]:0:30}"
    fi
  fi
  local default=rr
  ((${#ANVIL_PORTS[@]})) || default=srr
  GATEWAY_SHAPE[$name]="$(printf '%s\n' "${NET_PROPS[@]}" | grep -c '\.chain-id=') networks, $(printf '%s\n' "${NET_PROPS[@]}" | grep -c '\.url=') upstreams"
  local props=(-Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$port" -Dquarkus.management.host=127.0.0.1
    "-Dquarkus.management.port=$management_port" "-Drailyard.default-network=$default" "${NET_PROPS[@]}")
  local off=() java_opts=()
  if [[ $features == off ]]; then
    read -r -a off <<<"$OFF_PROPS"
  fi
  read -r -a java_opts <<<"$JAVA_OPTS"
  local cmd=("$JAVA" "${java_opts[@]}" "${props[@]}" "${off[@]}" -jar "$JAR")
  GATEWAY_CMD[$name]="${cmd[*]}"
  printf '%s\n' "${cmd[*]}" >"$WORK/$name.cmd"
  t0=$(now_ms)
  start_bg "$name" "${cmd[@]}"
  GATEWAY_PID[$name]=$STARTED_PID
  GATEWAY_PORT[$name]=$port
  GATEWAY_MANAGEMENT_PORT[$name]=$management_port
  deadline=$((SECONDS + 90))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$management_port/q/health/ready" || true)
    [[ $code == 200 ]] && break
    kill -0 "$STARTED_PID" 2>/dev/null || { tail -n 40 "$WORK/$name.log" >&2; die "gateway $name exited at startup (log above)"; }
    ((SECONDS < deadline)) || { tail -n 40 "$WORK/$name.log" >&2; die "gateway $name not ready within 90 s (log above)"; }
    sleep 0.02
  done
  ready=$(($(now_ms) - t0))
  GATEWAY_READY_MS[$name]=$ready
  log "gateway $name ready in ${ready} ms on port $port (${GATEWAY_SHAPE[$name]})"
}

# ------------------------------------------------------------------------------------------- targets

TARGETS=()
declare -A T_TABLE=() T_LABEL=() T_URL=() T_BODY=() T_PIDS=() T_KIND=()
# add_target ID TABLE KIND(pass|other) LABEL URL BODY_FILE "PIDS"
add_target() {
  TARGETS+=("$1")
  T_TABLE[$1]=$2; T_KIND[$1]=$3; T_LABEL[$1]=$4; T_URL[$1]=$5; T_BODY[$1]=$6; T_PIDS[$1]=$7
}

write_bodies() {
  local i items
  printf '%s' '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' >"$WORK/pass-anvil.json"
  printf '%s' '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["latest",false]}' >"$WORK/pass-static.json"
  printf '%s' "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBlockByNumber\",\"params\":[\"$STATIC_FINAL_BLOCK\",false]}" >"$WORK/cache-static.json"
  # 50 items: the odd ids read a final block (cached after the first time), the even ids eth_blockNumber (never cached).
  for final in "$ANVIL_FINAL_BLOCK:batch-anvil" "$STATIC_FINAL_BLOCK:batch-static"; do
    items=()
    for i in $(seq 1 50); do
      if ((i % 2)); then
        items+=("{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"eth_getBlockByNumber\",\"params\":[\"${final%%:*}\",false]}")
      else
        items+=("{\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"eth_blockNumber\",\"params\":[]}")
      fi
    done
    (IFS=,; printf '[%s]' "${items[*]}") >"$WORK/${final#*:}.json"
  done
  upstream_batch_body 1 >"$WORK/upstream-batch-static.json"
}

nginx_workers() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }

define_targets() {
  local on="http://127.0.0.1:${GATEWAY_PORT[on]}" off="http://127.0.0.1:${GATEWAY_PORT[off]}" twin="http://127.0.0.1:${GATEWAY_PORT[twin]}"
  local gw_on=${GATEWAY_PID[on]} gw_off=${GATEWAY_PID[off]} gw_twin=${GATEWAY_PID[twin]} proxy static_pids
  proxy=$(nginx_workers "$NGINX_PROXY_PID")
  if ((${#ANVIL_PORTS[@]})); then
    local A0="http://127.0.0.1:${ANVIL_PORTS[0]}/" body="$WORK/pass-anvil.json" batch="$WORK/batch-anvil.json"
    add_target a.direct anvil pass "upstream direct (one anvil, the limit)" "$A0" "$body" "${ANVIL_PIDS[0]}"
    add_target a.nginx anvil pass "nginx proxy_pass (keepalive)" "http://127.0.0.1:$NGINX_ANVIL_PORT/" "$body" "$proxy"
    add_target a.haproxy anvil pass "HAProxy roundrobin (http-reuse always)" "http://127.0.0.1:$HAPROXY_ANVIL_PORT/" "$body" "$HAPROXY_PID"
    if [[ -n $FLOOR_ANVIL_PORT ]]; then
      add_target a.floor anvil pass "bare Vert.x forwarder (no Railyard, no Quarkus: the JVM floor)" "http://127.0.0.1:$FLOOR_ANVIL_PORT/" "$body" "$FLOOR_PID"
      add_target a.netty anvil pass "bare Netty forwarder (no Vert.x: the layer under it)" "http://127.0.0.1:$NETTY_ANVIL_PORT/" "$body" "$NETTY_PID"
    fi
    add_target a.rr anvil pass "Railyard round-robin" "$on/rr" "$body" "$gw_on"
    add_target a.lc anvil pass "Railyard least-connections" "$on/lc" "$body" "$gw_on"
    add_target a.ih anvil pass "Railyard ip-hash (one client: one node)" "$on/ih" "$body" "$gw_on"
    add_target a.twin anvil pass "Railyard round-robin, twin JVM of 'features off' (features on)" "$twin/rr" "$body" "$gw_twin"
    add_target a.off anvil pass "Railyard round-robin, features off" "$off/rr" "$body" "$gw_off"
    add_target a.batch.direct anvil other "50-item batch: upstream direct" "$A0" "$batch" "${ANVIL_PIDS[0]}"
    add_target a.batch.haproxy anvil other "50-item batch: HAProxy" "http://127.0.0.1:$HAPROXY_ANVIL_PORT/" "$batch" "$HAPROXY_PID"
    add_target a.batch.rr anvil other "50-item batch, half cached: Railyard" "$on/rr" "$batch" "$gw_on"
  fi
  if ((${#STATIC_PORTS[@]})); then
    static_pids=$(nginx_workers "$STATIC_PID")
    local S0="http://127.0.0.1:${STATIC_PORTS[0]}/" body="$WORK/pass-static.json"
    add_target s.direct static pass "upstream direct (one static nginx, the limit)" "$S0" "$body" "$static_pids"
    add_target s.nginx static pass "nginx proxy_pass (keepalive)" "http://127.0.0.1:$NGINX_STATIC_PORT/" "$body" "$proxy"
    add_target s.haproxy static pass "HAProxy roundrobin (http-reuse always)" "http://127.0.0.1:$HAPROXY_STATIC_PORT/" "$body" "$HAPROXY_PID"
    if [[ -n $FLOOR_STATIC_PORT ]]; then
      add_target s.floor static pass "bare Vert.x forwarder (no Railyard, no Quarkus: the JVM floor)" "http://127.0.0.1:$FLOOR_STATIC_PORT/" "$body" "$FLOOR_PID"
      add_target s.netty static pass "bare Netty forwarder (no Vert.x: the layer under it)" "http://127.0.0.1:$NETTY_STATIC_PORT/" "$body" "$NETTY_PID"
    fi
    add_target s.rr static pass "Railyard round-robin" "$on/srr" "$body" "$gw_on"
    add_target s.lc static pass "Railyard least-connections" "$on/slc" "$body" "$gw_on"
    add_target s.ih static pass "Railyard ip-hash" "$on/sih" "$body" "$gw_on"
    add_target s.twin static pass "Railyard round-robin, twin JVM of 'features off' (features on)" "$twin/srr" "$body" "$gw_twin"
    add_target s.off static pass "Railyard round-robin, features off" "$off/srr" "$body" "$gw_off"
    ((${#STATIC_PORTS[@]} >= 30)) &&
      add_target s.rr30 static pass "Railyard round-robin, 30 upstreams" "$on/s30" "$body" "$gw_on"
    add_target s.limit static other "nginx return 200 of the cache-hit bytes (the limit)" "http://127.0.0.1:$NGINX_LIMIT_PORT/" "$WORK/cache-static.json" "$proxy"
    add_target s.cache static other "Railyard cache hit, final block (13 KB)" "$on/srr" "$WORK/cache-static.json" "$gw_on"
    add_target s.batch.direct static other "the gateway's $BATCH_GROUP-entry upstream batch: upstream direct (the limit)" "$S0" "$WORK/upstream-batch-static.json" "$static_pids"
    add_target s.batch.rr static other "50-item batch, half cached: Railyard" "$on/srr" "$WORK/batch-static.json" "$gw_on"
  fi
}

# Every target must answer its body with results and no error before anything is measured.
preflight() {
  local t reply
  for t in "${TARGETS[@]}"; do
    reply=$(post "${T_URL[$t]}" "$(<"${T_BODY[$t]}")") || die "${T_LABEL[$t]} (${T_URL[$t]}) failed its first request"
    if [[ $reply != *'"result"'* || $reply == *'"error"'* ]]; then
      die "${T_LABEL[$t]} answered with an error: ${reply:0:300}"
    fi
  done
  # A cache hit must be the same bytes as the nginx limit serves.
  if [[ -n ${T_URL[s.cache]:-} ]]; then
    reply=$(post "${T_URL[s.cache]}" "$(<"${T_BODY[s.cache]}")")
    [[ $reply == "$(<"$WORK/cached-reply.json")" ]] || die "the gateway's cache-hit reply differs from the nginx limit's bytes"
    reply=$(post "${T_URL[s.limit]}" "$(<"${T_BODY[s.limit]}")")
    [[ $reply == "$(<"$WORK/cached-reply.json")" ]] || die "nginx's return 200 does not serve the cache-hit bytes"
  fi
}

# ------------------------------------------------------------------------------------------- measuring

CLK_TCK=100   # set from getconf in main, once the prerequisites are checked

cpu_ticks() { # sum of utime+stime of the PIDs
  local total=0 p v
  for p in "$@"; do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || v=0
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

rss_kb() { # sum of VmRSS of the PIDs
  local total=0 p v
  for p in "$@"; do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || v=0
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# sample_rss FILE PIDS...: appends the summed VmRSS (kB) every 0.25 s until killed
sample_rss() {
  local file=$1; shift
  while :; do rss_kb "$@" >>"$file"; sleep 0.25; done
}

to_ms() { # wrk latency (12.3us, 1.2ms, 1.5s, 2.0m) → milliseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}

# measure TARGET CONNECTIONS DELAY_MS DURATION → sets M_RPS M_P50 M_P99 M_ERR M_CPU M_RSS_MB
measure() {
  local t=$1 conns=$2 delay=$3 duration=$4 out="$WORK/wrk.out" rssfile="$WORK/rss.samples"
  local -a pids
  read -r -a pids <<<"${T_PIDS[$t]}"
  : >"$rssfile"
  local c0 c1 w0 w1 sampler
  sample_rss "$rssfile" "${pids[@]}" &
  sampler=$!
  CURRENT_SAMPLER=$sampler
  c0=$(cpu_ticks "${pids[@]}"); w0=$(now_ms)
  # In the background and waited for, so that a signal (Ctrl-C, TIME_LIMIT) is handled at once.
  RPC_BODY_FILE="${T_BODY[$t]}" WRK_DELAY_MS="$delay" \
    wrk -t"$THREADS" -c"$conns" -d"$duration" --timeout 5s --latency -s "$LUA" "${T_URL[$t]}" >"$out" 2>&1 &
  CURRENT_WRK=$!
  wait "$CURRENT_WRK" || true
  CURRENT_WRK=""
  c1=$(cpu_ticks "${pids[@]}"); w1=$(now_ms)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  CURRENT_SAMPLER=""
  M_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  if [[ -z $M_RPS ]]; then
    cat "$out" >&2
    die "wrk failed against ${T_LABEL[$t]} (output above)"
  fi
  M_P50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  M_P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  M_ERR=$(awk '/Non-2xx or 3xx responses:/ {n += $5} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
  M_CPU=$(awk -v d="$((c1 - c0))" -v hz="$CLK_TCK" -v ms="$((w1 - w0))" 'BEGIN {printf "%.0f", 100 * d / hz / (ms / 1000)}')
  M_RSS_MB=$(sort -n "$rssfile" | tail -n 1 | awk '{printf "%.0f", $1 / 1024}')
  cp "$out" "$WORK/wrk-$t-$conns-$delay.last"
}

declare -A B_RPS=() B_P50=() B_P99=() B_CPU=() ERRS=() MAX_RSS=() P_RPS=() P_P50=() P_P99=()

record_best() {
  local t=$1
  ERRS[$t]=$((${ERRS[$t]:-0} + M_ERR))
  if ((${M_RSS_MB:-0} > ${MAX_RSS[$t]:-0})); then MAX_RSS[$t]=$M_RSS_MB; fi
  if [[ -z ${B_RPS[$t]:-} ]] || awk -v a="$M_RPS" -v b="${B_RPS[$t]}" 'BEGIN {exit !(a > b)}'; then
    B_RPS[$t]=$M_RPS; B_P50[$t]=$M_P50; B_P99[$t]=$M_P99; B_CPU[$t]=$M_CPU
  fi
}

# calibrate_paced TB (a or s): the connection count of TB's moderate-load runs. Railyard round-robin is paced
# (PACED_DELAY_MS after each answer) at connection counts scaled towards PACED_SHARE of its best saturated rate of
# this run, until it lands within 8 % of it (at most five 2 s tries). Every pass-through row of the table then runs
# with that count, so each carries about the same load; the rate each actually carried is in its column.
declare -A PACED_CONNS=() PACED_AIM=()
calibrate_paced() {
  local tb=$1 t=$1.rr conns aim try
  [[ -n ${T_URL[$t]:-} ]] || return 0
  if [[ $PACED_CONNECTIONS != auto ]]; then
    PACED_CONNS[$tb]=$PACED_CONNECTIONS
    return 0
  fi
  aim=$(awk -v r="${B_RPS[$t]}" -v s="$PACED_SHARE" 'BEGIN {printf "%.0f", r * s}')
  PACED_AIM[$tb]=$aim
  conns=$(( (CONNECTIONS + 1) / 2 ))
  for try in 1 2 3 4 5; do
    measure "$t" "$conns" "$PACED_DELAY_MS" 2s
    log "moderate load [${T_TABLE[$t]}]: Railyard round-robin at -c$conns carries $M_RPS req/s (aim: $aim, $PACED_SHARE of $(fmt "${B_RPS[$t]}" %.0f))"
    awk -v r="$M_RPS" -v a="$aim" 'BEGIN {exit !(r > 0.92 * a && r < 1.08 * a)}' && break
    ((try < 5)) || break
    conns=$(awk -v c="$conns" -v r="$M_RPS" -v a="$aim" -v max=$((8 * CONNECTIONS)) \
      'BEGIN {n = (r > 0) ? int(c * a / r + 0.5) : c * 2; if (n < 1) n = 1; if (n > max) n = max; print n}')
  done
  PACED_CONNS[$tb]=$conns
}

record_paced() {
  local t=$1
  ERRS[$t]=$((${ERRS[$t]:-0} + M_ERR))
  if [[ -z ${P_P99[$t]:-} ]] || awk -v a="$M_P99" -v b="${P_P99[$t]}" 'BEGIN {exit !(a < b)}'; then
    P_RPS[$t]=$M_RPS; P_P50[$t]=$M_P50; P_P99[$t]=$M_P99
  fi
}

metric_sum() { # metric_sum MANAGEMENT_PORT REGEX [EXCLUDE]: sums the Prometheus samples matching REGEX (and not EXCLUDE)
  { curl -s --max-time 5 "http://127.0.0.1:$1/q/metrics" || true; } |
    { grep -E "$2" || true; } | { grep -v -E "${3:-^#}" || true; } | awk '{n += $NF} END {printf "%.0f", n}'
}

# ------------------------------------------------------------------------------------------- report

fmt() { awk -v v="$1" -v f="$2" 'BEGIN {if (v == "" || v == "nan") print "–"; else printf f, v}'; }
cpu_us() { awk -v c="${B_CPU[$1]:-}" -v r="${B_RPS[$1]:-}" 'BEGIN {if (c == "" || r == "" || r == 0) print "–"; else printf "%.1f", c * 10000 / r}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print "–"; else printf "%.2f", a / b}'; }

report() {
  local t table="" label vs_nginx vs_haproxy base_n base_h paced lines=()
  lines+=("| target | req/s | p50 ms | p99 ms | ×nginx | ×HAProxy | moderate load: req/s, p50, p99 ms | CPU % | RSS MB | errors |")
  lines+=("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
  for t in "${TARGETS[@]}"; do
    if [[ ${T_TABLE[$t]} != "$table" ]]; then
      table=${T_TABLE[$t]}
      if [[ $table == anvil ]]; then
        lines+=("| **three anvil upstreams** (eth_blockNumber) | | | | | | | | | |")
      else
        lines+=("| **three static nginx upstreams** (eth_getBlockByNumber latest, 13 KB answer) | | | | | | | | | |")
      fi
    fi
    base_n=${B_RPS[${table:0:1}.nginx]:-}
    base_h=${B_RPS[${table:0:1}.haproxy]:-}
    vs_nginx="–"; vs_haproxy="–"
    if [[ $t == *.rr* || $t == *.lc || $t == *.ih || $t == *.off || $t == *.twin || $t == *.floor || $t == *.netty ]] && [[ ${T_KIND[$t]} == pass ]]; then
      vs_nginx=$(ratio "${B_RPS[$t]}" "$base_n"); vs_haproxy=$(ratio "${B_RPS[$t]}" "$base_h")
    elif [[ $t == s.cache ]]; then
      vs_nginx="$(ratio "${B_RPS[$t]}" "${B_RPS[s.limit]:-}") of limit"
    fi
    paced="–"
    [[ -n ${P_RPS[$t]:-} ]] && paced="$(fmt "${P_RPS[$t]}" %.0f), $(fmt "${P_P50[$t]}" %.2f), $(fmt "${P_P99[$t]}" %.2f)"
    lines+=("| ${T_LABEL[$t]} | $(fmt "${B_RPS[$t]}" %.0f) | $(fmt "${B_P50[$t]}" %.2f) | $(fmt "${B_P99[$t]}" %.2f) | $vs_nginx | $vs_haproxy | $paced | ${B_CPU[$t]} | ${MAX_RSS[$t]:-–} | ${ERRS[$t]} |")
  done
  TABLE_TEXT=$(printf '%s\n' "${lines[@]}")

  # Headline figures, each from this run only.
  local s=()
  for tb in a s; do
    [[ -n ${B_RPS[$tb.rr]:-} ]] || continue
    local name=${T_TABLE[$tb.rr]}
    s+=("- $name: Railyard round-robin / nginx = $(ratio "${B_RPS[$tb.rr]}" "${B_RPS[$tb.nginx]}"), / HAProxy = $(ratio "${B_RPS[$tb.rr]}" "${B_RPS[$tb.haproxy]}") (req/s); p99 $(fmt "${B_P99[$tb.rr]}" %.2f) ms vs HAProxy $(fmt "${B_P99[$tb.haproxy]}" %.2f) ms, nginx $(fmt "${B_P99[$tb.nginx]}" %.2f) ms")
    s+=("- $name: CPU per request (CPU % × 10 ms / req/s, steadier than req/s when the cores are shared): Railyard round-robin $(cpu_us "$tb.rr") µs, HAProxy $(cpu_us "$tb.haproxy") µs, nginx $(cpu_us "$tb.nginx") µs")
    if [[ -n ${B_RPS[$tb.floor]:-} ]]; then
      s+=("- $name: Railyard round-robin / bare Vert.x forwarder = $(ratio "${B_RPS[$tb.rr]}" "${B_RPS[$tb.floor]}") (req/s); the forwarder / HAProxy = $(ratio "${B_RPS[$tb.floor]}" "${B_RPS[$tb.haproxy]}"); CPU per request: forwarder $(cpu_us "$tb.floor") µs")
    fi
    if [[ -n ${B_RPS[$tb.netty]:-} ]]; then
      s+=("- $name: bare Netty forwarder / HAProxy = $(ratio "${B_RPS[$tb.netty]}" "${B_RPS[$tb.haproxy]}") (req/s), / bare Vert.x forwarder = $(ratio "${B_RPS[$tb.netty]}" "${B_RPS[$tb.floor]}"); CPU per request: Netty forwarder $(cpu_us "$tb.netty") µs")
    fi
    s+=("- $name: features on / off = $(ratio "${B_RPS[$tb.twin]}" "${B_RPS[$tb.off]}") (twin JVM over the off JVM; cost of cache lookup, HTTP server metrics and probes: $(awk -v a="${B_RPS[$tb.twin]}" -v b="${B_RPS[$tb.off]}" 'BEGIN {printf "%.1f", 100 * (1 - a / b)}') %); the main gateway over the twin, same settings: $(ratio "${B_RPS[$tb.rr]}" "${B_RPS[$tb.twin]}")")
    if [[ -n ${P_P99[$tb.rr]:-} && -n ${P_P99[$tb.direct]:-} ]]; then
      s+=("- $name: p99 added at moderate load (Railyard round-robin minus upstream direct) = $(awk -v a="${P_P99[$tb.rr]}" -v b="${P_P99[$tb.direct]}" 'BEGIN {printf "%.2f", a - b}') ms (HAProxy: $(awk -v a="${P_P99[$tb.haproxy]}" -v b="${P_P99[$tb.direct]}" 'BEGIN {printf "%.2f", a - b}') ms); Railyard round-robin carried $(ratio "${P_RPS[$tb.rr]}" "${B_RPS[$tb.rr]}") of its best saturated rate in that run")
    fi
  done
  if [[ -n ${B_RPS[s.rr30]:-} ]]; then s+=("- static: 30 upstreams / 3 upstreams (round-robin) = $(ratio "${B_RPS[s.rr30]}" "${B_RPS[s.rr]}")"); fi
  if [[ -n ${B_RPS[s.cache]:-} ]]; then s+=("- cache hits / nginx return 200 of the same bytes = $(ratio "${B_RPS[s.cache]}" "${B_RPS[s.limit]}"); CPU per request $(cpu_us s.cache) µs vs nginx $(cpu_us s.limit) µs"); fi
  local g starts=""
  for g in on twin off; do
    [[ -z $starts ]] || starts+="; "
    starts+="$g $(awk -v m="${GATEWAY_READY_MS[$g]}" 'BEGIN {printf "%.2f", m / 1000}') s (${GATEWAY_SHAPE[$g]}, Quarkus: ${GATEWAY_STARTED_LOG[$g]:-?})"
  done
  s+=("- startup to ready (/q/health/ready 200, from launching java): $starts")
  local max_rss=0
  for t in "${TARGETS[@]}"; do
    if [[ ${T_LABEL[$t]} == *Railyard* ]] && ((${MAX_RSS[$t]:-0} > max_rss)); then max_rss=${MAX_RSS[$t]}; fi
  done
  s+=("- gateway RSS: at most $max_rss MB during the runs (JAVA_OPTS=$JAVA_OPTS)")
  SUMMARY_TEXT=$(printf '%s\n' "${s[@]}")
}

# How the moderate-load runs were paced, per table.
paced_text() {
  local tb name parts=()
  for tb in a s; do
    [[ -n ${PACED_CONNS[$tb]:-} ]] || continue
    name=${T_TABLE[$tb.rr]}
    if [[ -n ${PACED_AIM[$tb]:-} ]]; then
      parts+=("$name -c${PACED_CONNS[$tb]} (calibrated so that Railyard round-robin carries $PACED_SHARE of its saturated $(fmt "${B_RPS[$tb.rr]}" %.0f) req/s: aim ${PACED_AIM[$tb]})")
    else
      parts+=("$name -c${PACED_CONNS[$tb]}")
    fi
  done
  local joined
  joined=$(printf '%s; ' "${parts[@]}")
  echo "every pass-through row of a table at the same connection count, each connection pausing ${PACED_DELAY_MS} ms after each answer: ${joined%; }"
}

write_results() {
  local java_version nginx_version haproxy_version wrk_version anvil_version commit cpu
  # (wrk -v exits 1; every version query is allowed to fail)
  java_version=$({ "$JAVA" -version 2>&1 || true; } | head -n 2 | tr '\n' ' ')
  nginx_version=$({ nginx -v 2>&1 || true; } | head -n 1)
  haproxy_version=$({ haproxy -v 2>&1 || true; } | head -n 1 | sed 's/ - https.*//')
  wrk_version=$({ wrk -v 2>&1 || true; } | head -n 1 | sed 's/ Copyright.*//')
  anvil_version="anvil not used"
  if [[ " $TABLES " == *" anvil "* ]]; then anvil_version=$({ "$ANVIL" --version 2>&1 || true; } | head -n 1); fi
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]] && commit+=" (with local changes)"
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  {
    echo "# Railyard benchmark results"
    echo
    echo "Generated by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Every figure below comes from this one run;"
    echo "compare rows with each other, not with other machines. See bench/README.md for what each row measures."
    echo
    echo "- command: \`$COMMAND_LINE\`"
    echo "- machine: $(nproc) CPUs ($cpu), $(awk '/^MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr); load average before the run: $LOAD_BEFORE"
    echo "- versions: Railyard $commit; $java_version; $nginx_version; $haproxy_version; $wrk_version; $anvil_version"
    echo "- wrk: -t$THREADS -c$CONNECTIONS, $RUNS run(s) of $DURATION per target, interleaved, after a $WARMUP warm-up each (and first $GATEWAY_WARMUP on each gateway's round-robin row of each table); best req/s shown with that run's latencies."
    if ((PACED_DELAY_MS > 0)); then echo "  Moderate load: $(paced_text), best (lowest p99) of $RUNS."; fi
    echo "- CPU %: CPU time of the process(es) under test (gateway JVM, nginx workers, HAProxy, the upstream for direct rows) over the best saturated run; 100 % = one core. RSS: highest summed VmRSS sampled every 0.25 s over all runs."
    echo
    echo "$TABLE_TEXT"
    echo
    echo "$SUMMARY_TEXT"
    echo
    echo "Gateway counters at the end (features on): $COUNTERS_TEXT"
    echo
    echo "Gateway log lines at WARN or above: $LOG_PROBLEMS"
  } >"$RESULTS"
}

# ------------------------------------------------------------------------------------------- main

main() {
  check_prerequisites
  CLK_TCK=$(getconf CLK_TCK)
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/railyard-bench.XXXXXX")
  chmod 755 "$WORK"   # nginx workers may run as another user
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  # The watchdog stops its own sleep when it is stopped (cleanup kills it), so nothing outlives the script.
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$TIME_LIMIT" &
    sleeper=$!
    wait "$sleeper"
    echo "bench/run.sh: TIME_LIMIT of ${TIME_LIMIT}s reached, stopping" >&2
    kill -TERM $$
  ) &
  WATCHDOG=$!
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

  if [[ " $TABLES " == *" anvil "* ]]; then start_anvils; fi
  if [[ " $TABLES " == *" static "* ]]; then start_static_upstreams; fi
  start_nginx_proxy
  start_haproxy
  wait_listening nginx-proxy "$NGINX_PROXY_PID" "$NGINX_ANVIL_PORT" "$NGINX_STATIC_PORT" "$NGINX_LIMIT_PORT"
  wait_listening haproxy "$HAPROXY_PID" "$HAPROXY_ANVIL_PORT" "$HAPROXY_STATIC_PORT"
  start_gateway on
  start_gateway twin
  start_gateway off
  start_floor
  write_bodies
  define_targets
  preflight

  local seconds_total per_target
  per_target=$(( $(seconds_of "$WARMUP") + RUNS * $(seconds_of "$DURATION") ))
  local tables
  tables=$(wc -w <<<"$TABLES")
  local warmed=3
  if [[ -n $FLOOR_PID ]]; then warmed=5; fi
  seconds_total=$(( ${#TARGETS[@]} * per_target + warmed * tables * $(seconds_of "$GATEWAY_WARMUP") ))
  if ((PACED_DELAY_MS > 0)); then
    for t in "${TARGETS[@]}"; do
      if [[ ${T_KIND[$t]} == pass ]]; then seconds_total=$((seconds_total + RUNS * $(seconds_of "$DURATION"))); fi
    done
    # the calibration: up to five 2 s paced runs per table
    [[ $PACED_CONNECTIONS == auto ]] && seconds_total=$((seconds_total + tables * 10))
  fi
  log "${#TARGETS[@]} targets; measuring for about $seconds_total s"

  local t r
  # JIT warm-up of both gateway JVMs on their round-robin pass-through rows of each table, so that neither is
  # measured while its compiler threads are still busy.
  for t in a.rr a.twin a.off a.floor a.netty s.rr s.twin s.off s.floor s.netty; do
    if [[ -n ${T_URL[$t]:-} ]]; then
      log "gateway warm-up ($GATEWAY_WARMUP): ${T_LABEL[$t]} [${T_TABLE[$t]}]"
      measure "$t" "$CONNECTIONS" 0 "$GATEWAY_WARMUP"
    fi
  done
  for t in "${TARGETS[@]}"; do
    log "warm-up: ${T_LABEL[$t]} [${T_TABLE[$t]}]"
    measure "$t" "$CONNECTIONS" 0 "$WARMUP"
  done
  for r in $(seq 1 "$RUNS"); do
    for t in "${TARGETS[@]}"; do
      measure "$t" "$CONNECTIONS" 0 "$DURATION"
      record_best "$t"
      log "run $r/$RUNS: ${T_LABEL[$t]} [${T_TABLE[$t]}]: $M_RPS req/s, p99 ${M_P99} ms, CPU ${M_CPU} %, RSS ${M_RSS_MB} MB, errors $M_ERR"
    done
  done
  # The moderate-load rounds come after the saturated ones: their load is a share of the saturated rate shown.
  if ((PACED_DELAY_MS > 0)); then
    calibrate_paced a
    calibrate_paced s
    for r in $(seq 1 "$RUNS"); do
      for t in "${TARGETS[@]}"; do
        [[ ${T_KIND[$t]} == pass ]] || continue
        measure "$t" "${PACED_CONNS[${t:0:1}]}" "$PACED_DELAY_MS" "$DURATION"
        record_paced "$t"
        log "run $r/$RUNS: ${T_LABEL[$t]} [${T_TABLE[$t]}] at moderate load (-c${PACED_CONNS[${t:0:1}]}): $M_RPS req/s, p50 ${M_P50} ms, p99 ${M_P99} ms"
      done
    done
  fi

  local port=${GATEWAY_MANAGEMENT_PORT[on]}
  local hits misses failovers ejections failed_calls not_ok
  hits=$(metric_sum "$port" '^railyard_cache_requests_total\{.*result="hit"')
  misses=$(metric_sum "$port" '^railyard_cache_requests_total\{.*result="miss"')
  failovers=$(metric_sum "$port" '^railyard_failovers_total')
  ejections=$(metric_sum "$port" '^railyard_upstream_ejections_total')
  failed_calls=$(metric_sum "$port" '^railyard_upstream_requests_total\{' 'outcome="(ok|rpc_error)"')
  not_ok=$(metric_sum "$port" '^railyard_requests_total\{' 'outcome="ok"')
  BATCHES_REFUSED=$(metric_sum "$port" '^railyard_upstream_requests_total\{.*outcome="batch_rejected"')
  COUNTERS_TEXT="cache hits $hits, misses $misses; failovers $failovers; ejections $ejections; failed upstream calls $failed_calls; client requests not ok $not_ok (requests cut off when a wrk run ends count as failed upstream calls and not-ok requests); upstream batches answered with a single object $BATCHES_REFUSED."
  if ((BATCHES_REFUSED > 0)); then
    COUNTERS_TEXT+=" WARNING: an upstream answered a batch with a single object, so the gateway stopped sending it batches; the batch rows then measure one upstream request per entry."
    log "warning: $BATCHES_REFUSED upstream batch(es) refused; see RESULTS.md"
  fi
  # WARN and above from both gateways, counted by message (timestamps cut), most frequent first.
  local problems
  problems=$({ grep -h -E ' (WARN|ERROR|FATAL) ' "$WORK/on.log" "$WORK/twin.log" "$WORK/off.log" || true; } |
    sed -E 's/^[0-9:.]+ +//' | sort | uniq -c | sort -rn | head -n 20)
  if [[ -z $problems ]]; then
    LOG_PROBLEMS="none."
  else
    LOG_PROBLEMS=$'(count, level, logger, message)\n\n```\n'"$problems"$'\n```'
  fi

  for t in on twin off; do
    GATEWAY_STARTED_LOG[$t]=$({ grep -o 'started in [0-9.]*s' "$WORK/$t.log" || true; } | head -n 1)
  done
  report
  write_results
  echo
  echo "$TABLE_TEXT"
  echo
  echo "$SUMMARY_TEXT"
  echo
  echo "Gateway counters: $COUNTERS_TEXT"
  [[ $LOG_PROBLEMS != "none." ]] && echo "Gateway log problems (see bench/out/on.log, twin.log, off.log):$LOG_PROBLEMS"
  log "wrote $RESULTS"
}

# One line, so that bash never reads past it: editing this file while it runs cannot change what runs.
main "$@"; exit $?
