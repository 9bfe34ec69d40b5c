# shellcheck shell=bash
# Prerequisites, logging and process helpers: free ports, background processes, waiting, the exit trap. Sourced by bench/run.sh, which holds the knobs, the targets and the run order.

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
      local out=${OUT_DIR:-$BENCH/out}
      rm -rf "$out" && mkdir -p "$out" && cp -r "$WORK"/. "$out/" 2>/dev/null || true
      rm -rf "$out/nginx-"*/tmp 2>/dev/null || true
    fi
    rm -rf "$WORK"
  fi
  exit "$status"
}

# begin_run NAME PREFIX: the work directory, the exit trap and a watchdog that stops the script at TIME_LIMIT.
# The watchdog stops its own sleep when it is stopped (cleanup kills it), so nothing outlives the script.
begin_run() {
  local name=$1
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")
  chmod 755 "$WORK"   # nginx workers may run as another user
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$TIME_LIMIT" &
    sleeper=$!
    wait "$sleeper"
    echo "$name: TIME_LIMIT of ${TIME_LIMIT}s reached, stopping" >&2
    kill -TERM $$
  ) &
  WATCHDOG=$!
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
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
