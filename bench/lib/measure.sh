# shellcheck shell=bash
# One wrk run against one target, with CPU and RSS sampled; best-of and paced bookkeeping. Sourced by bench/run.sh, which holds the knobs, the targets and the run order.

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
