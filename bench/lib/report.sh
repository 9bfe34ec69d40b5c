# shellcheck shell=bash
# The table, the ratios and bench/RESULTS.md. Sourced by bench/run.sh, which holds the knobs, the targets and the run order.

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
