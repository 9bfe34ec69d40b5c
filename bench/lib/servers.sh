# shellcheck shell=bash
# Starting what is measured: anvil and static upstreams, nginx and HAProxy, the floor forwarders, the gateways. Sourced by bench/run.sh, which holds the knobs, the targets and the run order.

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
