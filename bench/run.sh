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

# ------------------------------------------------------------------------------------------- functions

# What the script does, by concern; the targets and the run order stay here.
BENCH_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib"
for part in setup servers measure report; do
  # shellcheck source=/dev/null
  source "$BENCH_LIB/$part.sh"
done

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

# ------------------------------------------------------------------------------------------- main

main() {
  check_prerequisites
  CLK_TCK=$(getconf CLK_TCK)
  begin_run bench/run.sh railyard-bench

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
