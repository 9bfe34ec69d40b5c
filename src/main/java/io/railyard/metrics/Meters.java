package io.railyard.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Every meter Railyard exports, by name, in one place. Names are Micrometer's dotted form; Prometheus shows them
 * with underscores and its suffixes ({@code railyard.requests} → {@code railyard_requests_total}). Meters are
 * looked up once per tag combination and kept, so the request path does a map lookup, not a registration.
 */
@ApplicationScoped
public class Meters {

    /** {@code railyard_requests_total{network,method,outcome}}: client requests (batch entries count one each). */
    public static final String REQUESTS = "railyard.requests";
    /** {@code railyard_request_duration_seconds{network,method}}: time to answer one client request. */
    public static final String REQUEST_DURATION = "railyard.request.duration";
    /** {@code railyard_upstream_requests_total{network,upstream,outcome}}: calls to upstreams. */
    public static final String UPSTREAM_REQUESTS = "railyard.upstream.requests";
    /** {@code railyard_upstream_latency_seconds{network,upstream}}: time of one upstream call. */
    public static final String UPSTREAM_LATENCY = "railyard.upstream.latency";
    /** {@code railyard_upstream_up{network,upstream}}: 1 when healthy, 0 when ejected. */
    public static final String UPSTREAM_UP = "railyard.upstream.up";
    /** {@code railyard_upstream_head_block{network,upstream}}: last head the upstream reported. */
    public static final String UPSTREAM_HEAD = "railyard.upstream.head.block";
    /** {@code railyard_upstream_lag_blocks{network,upstream}}: blocks behind the network head. */
    public static final String UPSTREAM_LAG = "railyard.upstream.lag.blocks";
    /** {@code railyard_upstream_in_flight{network,upstream}}: calls under way. */
    public static final String UPSTREAM_IN_FLIGHT = "railyard.upstream.in.flight";
    /** {@code railyard_upstream_ejections_total{network,upstream,reason}}. */
    public static final String UPSTREAM_EJECTIONS = "railyard.upstream.ejections";
    /** {@code railyard_failovers_total{network}}: tries moved to another upstream. */
    public static final String FAILOVERS = "railyard.failovers";
    /** {@code railyard_cache_requests_total{network,result}}: result is hit, miss or coalesced. */
    public static final String CACHE_REQUESTS = "railyard.cache.requests";
    /** {@code railyard_cache_bytes}: bytes held by the response cache. */
    public static final String CACHE_BYTES = "railyard.cache.bytes";
    /** {@code railyard_cache_evictions_total}: answers evicted to stay within the byte bound. */
    public static final String CACHE_EVICTIONS = "railyard.cache.evictions";
    /** {@code railyard_network_finalized_block{network}}: the block the cache counts as final. */
    public static final String NETWORK_FINALIZED = "railyard.network.finalized.block";
    /** {@code railyard_network_panic{network}}: 1 while no upstream passes the health rules and the panic rule serves. */
    public static final String NETWORK_PANIC = "railyard.network.panic";
    /** {@code railyard_network_head_block{network}}: the head {@code latest} means for clients (never goes down). */
    public static final String NETWORK_HEAD = "railyard.network.head.block";

    /** {@code railyard_rate_limited_total{network,reason}}: requests refused for quota (reason key, ip, backend_down). */
    public static final String RATE_LIMITED = "railyard.rate.limited";
    /** {@code railyard_rate_limit_backend_up}: 1 while the rate-limit backend (Redis) answers. */
    public static final String RATE_LIMIT_BACKEND_UP = "railyard.rate.limit.backend.up";

    /** {@code railyard_cors_refused_total{network}}: browser preflights and requests from an origin that is not allowed. */
    public static final String CORS_REFUSED = "railyard.cors.refused";

    /** {@code railyard_overloaded}: 1 while the heap guard sheds new requests. */
    public static final String OVERLOADED = "railyard.overloaded";
    /** {@code railyard_overload_shed_total{network}}: requests refused because the heap was nearly full. */
    public static final String OVERLOAD_SHED = "railyard.overload.shed";

    /**
     * {@code railyard_client_timeouts_total{phase}}: clients cut off with 408 for sending too slowly, {@code phase}
     * {@code head} (header-read-timeout) or {@code body} (body-read-timeout).
     */
    public static final String CLIENT_TIMEOUTS = "railyard.client.timeouts";
    /** The phases of {@link #CLIENT_TIMEOUTS}. */
    public static final List<String> CLIENT_TIMEOUT_PHASES = List.of("head", "body");

    /** {@code railyard_ws_connections{network}}: open WebSocket connections. */
    public static final String WS_CONNECTIONS = "railyard.ws.connections";
    /** {@code railyard_ws_subscriptions{network,kind}}: subscriptions held, kind newHeads, logs or newPendingTransactions. */
    public static final String WS_SUBSCRIPTIONS = "railyard.ws.subscriptions";
    /** {@code railyard_ws_messages_total{network,direction}}: WebSocket messages, direction in or out. */
    public static final String WS_MESSAGES = "railyard.ws.messages";
    /** {@code railyard_ws_slow_consumer_closes_total{network}}: connections closed (1008) for not reading. */
    public static final String WS_SLOW_CONSUMER_CLOSES = "railyard.ws.slow.consumer.closes";
    /** {@code railyard_stream_failovers_total{network}}: head-stream steps that failed and resumed from the last block. */
    public static final String STREAM_FAILOVERS = "railyard.stream.failovers";
    /** {@code railyard_stream_gaps_filled_total{network}}: blocks a head stream fetched to deliver without a gap. */
    public static final String STREAM_GAPS_FILLED = "railyard.stream.gaps.filled";
    /**
     * {@code railyard_stream_fanout_seconds{network}}: from a new head's notification setting out to the last
     * {@code newHeads} subscriber's being written to its socket (histogram, with the p99 and max).
     */
    public static final String STREAM_FANOUT = "railyard.stream.fanout";

    /** Every name above as Prometheus shows it, for documentation and for checking dashboards against. */
    public static final List<String> PROMETHEUS_NAMES = List.of(
            "railyard_requests_total", "railyard_request_duration_seconds", "railyard_upstream_requests_total",
            "railyard_upstream_latency_seconds", "railyard_upstream_up", "railyard_upstream_head_block",
            "railyard_upstream_lag_blocks", "railyard_upstream_in_flight", "railyard_upstream_ejections_total",
            "railyard_failovers_total", "railyard_cache_requests_total", "railyard_cache_bytes",
            "railyard_cache_evictions_total", "railyard_network_finalized_block",
            "railyard_network_panic", "railyard_network_head_block", "railyard_rate_limited_total",
            "railyard_rate_limit_backend_up", "railyard_cors_refused_total", "railyard_overloaded",
            "railyard_overload_shed_total", "railyard_client_timeouts_total", "railyard_ws_connections",
            "railyard_ws_subscriptions", "railyard_ws_messages_total", "railyard_ws_slow_consumer_closes_total",
            "railyard_stream_failovers_total", "railyard_stream_gaps_filled_total", "railyard_stream_fanout_seconds");

    /** Buckets from 100 µs to 10 s: loopback cache hits and slow archive calls both resolve. */
    private static final Duration[] BUCKETS = {
            Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
            Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    @Inject
    MeterRegistry registry;

    /** Everything registered here, removed again at shutdown so a restarted application never reads stale gauges. */
    private final java.util.Queue<Meter> registered = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @PreDestroy
    void removeAll() {
        registered.forEach(registry::remove);
        registered.clear();
    }

    private <M extends Meter> M keep(M meter) {
        registered.add(meter);
        return meter;
    }

    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> wsMessageCounts = new ConcurrentHashMap<>();
    private final Map<String, Timer> fanOutTimers = new ConcurrentHashMap<>();
    /** network → method (or upstream) → its timer and outcome counters: two lookups, no key built per request. */
    private final Map<String, Map<String, Series>> requestSeries = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Series>> upstreamSeries = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Counter>> cacheCounters = new ConcurrentHashMap<>();

    /** One timer and its counters by outcome. */
    private static final class Series {
        final Timer timer;
        final Map<String, Counter> outcomes = new ConcurrentHashMap<>();

        Series(Timer timer) {
            this.timer = timer;
        }
    }

    public void request(String network, String method, String outcome, long nanos) {
        Series series = series(requestSeries, network, method, () -> keep(Timer.builder(REQUEST_DURATION)
                .tags("network", network, "method", method)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)));
        outcome(series, outcome, () -> keep(Counter.builder(REQUESTS).tags("network", network, "method", method, "outcome", outcome)
                .register(registry))).increment();
        series.timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void upstreamCall(String network, String upstream, String outcome, long nanos) {
        Series series = upstreamSeries(network, upstream);
        outcome(series, outcome, () -> keep(Counter.builder(UPSTREAM_REQUESTS).tags("network", network, "upstream", upstream, "outcome", outcome)
                .register(registry))).increment();
        series.timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The upstream's latency timer; it also keeps a rolling p99 for the status page. */
    public Timer upstreamTimer(String network, String upstream) {
        return upstreamSeries(network, upstream).timer;
    }

    private Series upstreamSeries(String network, String upstream) {
        return series(upstreamSeries, network, upstream, () -> keep(Timer.builder(UPSTREAM_LATENCY)
                .tags("network", network, "upstream", upstream)
                .serviceLevelObjectives(BUCKETS)
                .publishPercentiles(0.99)
                .percentilePrecision(2)
                .register(registry)));
    }

    private static Series series(Map<String, Map<String, Series>> all, String network, String name, Supplier<Timer> timer) {
        return perNetwork(all, network, name, () -> new Series(timer.get()));
    }

    /** The meter of a network and a name, made on first use; a plain read afterwards (computeIfAbsent locks). */
    private static <M> M perNetwork(Map<String, Map<String, M>> all, String network, String name, Supplier<M> create) {
        Map<String, M> byName = all.get(network);
        if (byName == null) {
            byName = all.computeIfAbsent(network, k -> new ConcurrentHashMap<>());
        }
        M meter = byName.get(name);
        return meter != null ? meter : byName.computeIfAbsent(name, k -> create.get());
    }

    private static Counter outcome(Series series, String outcome, Supplier<Counter> counter) {
        Counter c = series.outcomes.get(outcome);
        return c != null ? c : series.outcomes.computeIfAbsent(outcome, k -> counter.get());
    }

    public void ejection(String network, String upstream, String reason) {
        counter(UPSTREAM_EJECTIONS, "network", network, "upstream", upstream, "reason", reason).increment();
    }

    public void failover(String network) {
        counter(FAILOVERS, "network", network).increment();
    }

    public void rateLimited(String network, String reason) {
        counter(RATE_LIMITED, "network", network, "reason", reason).increment();
    }

    public void corsRefused(String network) {
        counter(CORS_REFUSED, "network", network).increment();
    }

    public <T> void rateLimitBackend(T limiter, ToDoubleFunction<T> up) {
        keep(Gauge.builder(RATE_LIMIT_BACKEND_UP, limiter, up).register(registry));
    }

    /** Per cacheable request, so looked up like the request series: no key built each time. */
    public void cache(String network, String result) {
        perNetwork(cacheCounters, network, result, () -> counter(CACHE_REQUESTS, "network", network, "result", result)).increment();
    }

    public <T> void upstreamGauges(String network, String upstream, T state, ToDoubleFunction<T> up, ToDoubleFunction<T> head,
                                   ToDoubleFunction<T> lag, ToDoubleFunction<T> inFlight) {
        keep(Gauge.builder(UPSTREAM_UP, state, up).tags("network", network, "upstream", upstream).register(registry));
        keep(Gauge.builder(UPSTREAM_HEAD, state, head).tags("network", network, "upstream", upstream).register(registry));
        keep(Gauge.builder(UPSTREAM_LAG, state, lag).tags("network", network, "upstream", upstream).register(registry));
        keep(Gauge.builder(UPSTREAM_IN_FLIGHT, state, inFlight).tags("network", network, "upstream", upstream).register(registry));
    }

    public <T> void networkGauge(String network, T state, ToDoubleFunction<T> finalized) {
        keep(Gauge.builder(NETWORK_FINALIZED, state, finalized).tags("network", network).register(registry));
    }

    public <T> void networkHeadGauges(String network, T state, ToDoubleFunction<T> head, ToDoubleFunction<T> panic) {
        keep(Gauge.builder(NETWORK_HEAD, state, head).tags("network", network).register(registry));
        keep(Gauge.builder(NETWORK_PANIC, state, panic).tags("network", network).register(registry));
    }

    /**
     * The cache's size and evictions, read from the cache itself: a FunctionCounter holds its state only weakly, and
     * a supplier made for it (as before) was collected, after which the counter read 0 however many were evicted.
     */
    public <T> void cacheGauges(T cache, ToDoubleFunction<T> bytes, ToDoubleFunction<T> evictions) {
        keep(Gauge.builder(CACHE_BYTES, cache, bytes).strongReference(true).register(registry));
        keep(FunctionCounter.builder(CACHE_EVICTIONS, cache, evictions).register(registry));
    }

    public <T> void overloadGauge(T state, ToDoubleFunction<T> overloaded) {
        keep(Gauge.builder(OVERLOADED, state, overloaded).strongReference(true).register(registry));
    }

    public void overloadShed(String network) {
        counter(OVERLOAD_SHED, "network", network).increment();
    }

    /** A client cut off for sending too slowly; {@code phase} is one of {@link #CLIENT_TIMEOUT_PHASES}. */
    public void clientTimeout(String phase) {
        counter(CLIENT_TIMEOUTS, "phase", phase).increment();
    }

    public <T> void wsConnectionGauge(String network, T state, ToDoubleFunction<T> open) {
        keep(Gauge.builder(WS_CONNECTIONS, state, open).tags("network", network).strongReference(true).register(registry));
    }

    public <T> void wsSubscriptionGauge(String network, String kind, T state, ToDoubleFunction<T> held) {
        keep(Gauge.builder(WS_SUBSCRIPTIONS, state, held).tags("network", network, "kind", kind).strongReference(true)
                .register(registry));
    }

    /**
     * The count of WebSocket messages on a network, {@code direction} in or out, which its counter reads at each
     * scrape; callers keep it. One notification per subscriber and block makes this the gateway's most frequent
     * count (10,000 per block with 10,000 subscribers), from both event loops at once: a {@link LongAdder} costs
     * a few nanoseconds there, where a registry counter's increment showed as the top frame of the fan-out's profile.
     */
    public LongAdder wsMessages(String network, String direction) {
        return wsMessageCounts.computeIfAbsent(network + '\0' + direction, k -> {
            LongAdder count = new LongAdder();
            keep(FunctionCounter.builder(WS_MESSAGES, count, LongAdder::doubleValue)
                    .tags("network", network, "direction", direction).register(registry));
            return count;
        });
    }

    public void wsSlowConsumerClosed(String network) {
        counter(WS_SLOW_CONSUMER_CLOSES, "network", network).increment();
    }

    public void streamFailover(String network) {
        counter(STREAM_FAILOVERS, "network", network).increment();
    }

    public void streamGapsFilled(String network, long blocks) {
        counter(STREAM_GAPS_FILLED, "network", network).increment(blocks);
    }

    /** One head's notification written to every {@code newHeads} subscriber of the network, {@code nanos} after it set out. */
    public void streamFanOut(String network, long nanos) {
        fanOutTimers.computeIfAbsent(network, n -> keep(Timer.builder(STREAM_FANOUT)
                .tags("network", n)
                .serviceLevelObjectives(BUCKETS)
                .publishPercentiles(0.99)
                .percentilePrecision(2)
                .register(registry))).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Pre-registers the client timeout counters at zero. */
    public void declareClientTimeouts() {
        CLIENT_TIMEOUT_PHASES.forEach(phase -> counter(CLIENT_TIMEOUTS, "phase", phase));
    }

    /** Pre-registers an upstream's ejection counters at zero, one per reason of the closed set given. */
    public void declareUpstream(String network, String upstream, List<String> ejectionReasons) {
        for (String reason : ejectionReasons) {
            counter(UPSTREAM_EJECTIONS, "network", network, "upstream", upstream, "reason", reason);
        }
    }

    /** Pre-registers zero-valued series so dashboards show them before the first event. */
    public void declareNetwork(String network) {
        counter(FAILOVERS, "network", network);
        for (String reason : List.of("ip", "key", "backend_down")) {
            counter(RATE_LIMITED, "network", network, "reason", reason);
        }
        counter(CACHE_REQUESTS, "network", network, "result", "hit");
        counter(CACHE_REQUESTS, "network", network, "result", "miss");
        counter(CORS_REFUSED, "network", network);
        counter(OVERLOAD_SHED, "network", network);
        wsMessages(network, "in");
        wsMessages(network, "out");
        counter(WS_SLOW_CONSUMER_CLOSES, "network", network);
        counter(STREAM_FAILOVERS, "network", network);
        counter(STREAM_GAPS_FILLED, "network", network);
    }

    private Counter counter(String name, String... tags) {
        StringBuilder key = new StringBuilder(name);
        for (String t : tags) {
            key.append('\0').append(t);
        }
        return counters.computeIfAbsent(key.toString(), k -> keep(Counter.builder(name).tags(tags).register(registry)));
    }
}
