package io.railyard.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Everything a user configures under {@code railyard.*}; checked at startup by {@link ConfigValidator}. */
@ConfigMapping(prefix = "railyard")
public interface RailyardConfig {

    /** Network served on {@code POST /}; may be left out when exactly one network is configured. */
    Optional<String> defaultNetwork();

    /** The networks, by the name used in the URL path ({@code POST /{network}}). */
    Map<String, NetworkConfig> networks();

    /** Client-facing limits. */
    LimitsConfig limits();

    /** Calls to upstreams: deadlines, tries, pools. */
    ForwardConfig forward();

    /** Health probing of upstreams. */
    HealthConfig health();

    /** The response cache. */
    CacheConfig cache();

    /** The heap overload guard. */
    OverloadConfig overload();

    /**
     * Addresses (exact IPs or CIDR ranges) of proxies in front of Railyard whose {@code X-Forwarded-For} is believed;
     * the client is the rightmost address that is not one of them. Empty: the header is ignored.
     */
    Optional<List<String>> trustedProxies();

    /** The local devnet that dev mode starts when no network is configured. */
    DevnetConfig devnet();

    /** API keys by name: each client (dApp) its own secret, quota, networks and methods. */
    Map<String, ApiKeyConfig> apiKeys();

    /** Rate limiting of clients. */
    RateLimitConfig rateLimit();

    /** Cross-origin requests from browser pages (dApps) to the JSON-RPC paths, {@code /status} and {@code /q/health}. */
    CorsConfig cors();

    interface CorsConfig {
        /** Whether preflights are answered and answers carry {@code Access-Control-*} headers. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Origins whose pages may call Railyard: {@code *}, exact origins ({@code https://app.example}) or subdomain
         * wildcards ({@code https://*.example.org}); a network's own list replaces this one.
         */
        @WithDefault("*")
        List<String> allowedOrigins();

        /** How long a browser may reuse a preflight's answer ({@code Access-Control-Max-Age}). */
        @WithDefault("1h")
        Duration maxAge();

        /** Request headers a page may send, on top of {@code content-type}, {@code x-api-key} and {@code authorization}. */
        Optional<List<String>> allowedHeaders();

        /** Response headers a page may read ({@code Access-Control-Expose-Headers}), so it can see why it was limited. */
        @WithDefault("Retry-After,RateLimit,RateLimit-Policy")
        List<String> exposedHeaders();
    }

    interface NetworkCorsConfig {
        /** Origins allowed on this network, replacing {@code railyard.cors.allowed-origins}. */
        Optional<List<String>> allowedOrigins();
    }

    /** JSON-RPC over WebSocket on the RPC paths: connections, messages, keepalive. */
    WebSocketConfig websocket();

    /** {@code eth_subscribe}: one head stream per network, fanned out to every subscriber. */
    SubscriptionsConfig subscriptions();

    interface WebSocketConfig {
        /** Whether the RPC paths accept WebSocket upgrades ({@code ws://host:port/<network>}). */
        @WithDefault("true")
        boolean enabled();

        /** Open WebSocket connections, all clients together; an upgrade past it is refused with 503. */
        @WithDefault("10000")
        int maxConnections();

        /** Open WebSocket connections per client (its API key, or else its address); past it, 429. */
        @WithDefault("200")
        int maxConnectionsPerClient();

        /** Subscriptions one connection may hold at once; another {@code eth_subscribe} gets -32005. */
        @WithDefault("100")
        int maxSubscriptionsPerConnection();

        /** Largest message a client may send, in bytes; a larger one closes the connection with 1009. */
        @WithDefault("1048576")
        int maxMessageBytes();

        /**
         * Bytes waiting to be written to one connection; a client that reads so slowly that its backlog passes it is
         * closed with 1008 (slow consumer) instead of being buffered without bound.
         */
        @WithDefault("4194304")
        int maxPendingBytes();

        /** Time between the gateway's pings on an open connection. */
        @WithDefault("20s")
        Duration pingInterval();

        /** A connection from which nothing arrives for this long (not even a pong) is closed with 1001. */
        @WithDefault("60s")
        Duration idleTimeout();
    }

    interface SubscriptionsConfig {
        /** How often a network's head stream asks for the latest block while anyone is subscribed. */
        @WithDefault("500ms")
        Duration pollInterval();

        /** Deepest reorg replayed to subscribers; a deeper one ends every subscription of the network with an error. */
        @WithDefault("64")
        int maxReorgDepth();

        /**
         * Most blocks a stream fetches to catch up without a gap (after every upstream was down a while); further
         * behind, it ends the network's subscriptions with an error and starts again at the head.
         */
        @WithDefault("1024")
        long maxGapBlocks();

        /**
         * Follow each upstream's new heads over its WebSocket ({@code ws-url}), so that a block reaches subscribers
         * within milliseconds instead of within {@code poll-interval}. One upstream subscription per upstream, however
         * many clients subscribe.
         */
        @WithDefault("true")
        boolean upstreamHeads();
    }

    /** One line per client request in the log category {@code railyard.access}. */
    AccessLogConfig accessLog();

    /** The {@code /status} page: always on the management port; optionally a redacted copy on the RPC port. */
    StatusConfig status();

    /** What the gateway's own JSON-RPC errors tell a client. */
    ErrorsConfig errors();

    interface StatusConfig {
        /**
         * Also serve a redacted {@code /status} on the public RPC port: networks, upstream names, states and heads;
         * no URLs, no reasons or error texts. The full page stays on the management port.
         */
        @WithDefault("false")
        @WithName("public")
        boolean publicPage();
    }

    interface ErrorsConfig {
        /**
         * Name the upstream in the gateway's own errors ({@code last: node-a timeout}). Off by default: an anonymous
         * client learns nothing about the upstreams; operators find them by the request id in the log.
         */
        @WithDefault("false")
        boolean exposeUpstreamNames();
    }

    interface AccessLogConfig {
        /** Whether to write the access log. */
        @WithDefault("false")
        boolean enabled();

        /** {@code text} (key=value) or {@code json} (one JSON object per line). */
        @WithDefault("text")
        AccessLogFormat format();
    }

    interface ApiKeyConfig {
        /** The secret itself; prefer {@code key-sha256} so configuration never holds plain keys. */
        Optional<String> key();

        /** Hex SHA-256 of the secret. */
        Optional<String> keySha256();

        /** Requests per second (cost units); 0 = unlimited. */
        @WithDefault("0")
        double rate();

        /** Most cost units spent at once after a quiet period; defaults to twice the rate. */
        Optional<Double> burst();

        /** Networks this key may use; all when absent. */
        Optional<List<String>> networks();

        /** Methods (or prefixes ending in {@code _} or {@code *}) this key may call; when set, nothing else. */
        Optional<List<String>> allowMethods();

        /** Methods (or prefixes) this key may not call, on top of the network's rules. */
        Optional<List<String>> denyMethods();

        /**
         * Origins whose pages may use this key (a key in a public page is no secret): a request with this key and
         * another {@code Origin} is refused with 403. Requests without an {@code Origin} (not from a browser) pass.
         */
        Optional<List<String>> allowedOrigins();
    }

    interface RateLimitConfig {
        /** Where buckets live: {@code memory} (this replica) or {@code redis} (shared by every replica). */
        @WithDefault("memory")
        RateLimitBackend backend();

        /** Limit for clients without an API key, per client address. */
        PerIpConfig perIp();

        /** Redis address for the shared backend, e.g. {@code redis://redis:6379}. */
        @WithDefault("redis://127.0.0.1:6379")
        String redisUrl();

        /** What to do while Redis cannot be reached: {@code fail-open} (admit) or {@code fail-closed} (refuse). */
        @WithDefault("fail-open")
        RedisFailureMode redisFailureMode();

        /** Time a Redis check may take before the failure mode applies. */
        @WithDefault("100ms")
        Duration redisTimeout();

        /** Cost of methods in rate-limit units (default 1; built-in costs for heavy methods, see README). */
        Map<String, Integer> methodCosts();
    }

    interface PerIpConfig {
        /** Requests per second (cost units) per client address; 0 = unlimited. */
        @WithDefault("0")
        double rate();

        /** Burst per client address; defaults to twice the rate. */
        Optional<Double> burst();
    }

    interface NetworkConfig {
        /** Chain id every upstream must report through {@code eth_chainId}; an upstream on another chain is never used. */
        long chainId();

        /** How calls are spread over healthy upstreams: {@code round-robin}, {@code least-connections} or {@code ip-hash}. */
        @WithDefault("round-robin")
        Routing routing();

        /** Blocks behind the head counted as final when an upstream does not support the {@code finalized} tag. */
        @WithDefault("64")
        int finalityDepth();

        /** Send {@code eth_sendRawTransaction} to every healthy upstream at once; the first success answers. */
        @WithDefault("true")
        boolean broadcastTransactions();

        /** The nodes of this network, by name. */
        Map<String, UpstreamConfig> upstreams();

        /** Refuse clients without an API key (401). */
        @WithDefault("false")
        boolean requireApiKey();

        /** Methods (or prefixes) refused on this network; replaces the built-in list (admin_, debug_, personal_...). */
        Optional<List<String>> denyMethods();

        /** Methods (or prefixes) that are allowed even though the deny list names them. */
        Optional<List<String>> allowMethods();

        /** CORS rules of this network. */
        NetworkCorsConfig cors();
    }

    interface UpstreamConfig {
        /** The node's JSON-RPC endpoint, {@code http://} or {@code https://} (verified against the JVM trust store). */
        String url();

        /** Share of traffic relative to the other upstreams of the network, at least 1. */
        @WithDefault("1")
        int weight();

        /** Extra HTTP headers for every call, e.g. {@code Authorization}; take secrets from the environment. */
        Map<String, String> headers();

        /**
         * The node's WebSocket endpoint ({@code ws://} or {@code wss://}), over which the gateway follows its new
         * heads. Unset: {@code url} with {@code ws}/{@code wss} for {@code http}/{@code https}, as anvil, reth and most
         * providers serve both on one URL (geth serves WebSocket on its own port, 8546). A node that refuses it is
         * followed by polling alone.
         */
        Optional<String> wsUrl();
    }

    interface LimitsConfig {
        /** Largest request body accepted, in bytes; larger bodies get HTTP 413. */
        @WithDefault("5242880")
        int maxBodyBytes();

        /** Most entries in one batch; more get HTTP 413. */
        @WithDefault("1000")
        int maxBatchItems();

        /** Deepest JSON nesting accepted in a request. */
        @WithDefault("64")
        int maxNestingDepth();

        /** Longest method name accepted. */
        @WithDefault("256")
        int maxMethodLength();

        /** Client requests served at once; more are shed at once with 503 rather than queued. */
        @WithDefault("10000")
        int maxInFlight();

        /** Time a client may take to send its request body (slow senders are cut off with 408). */
        @WithDefault("10s")
        Duration bodyReadTimeout();

        /**
         * Time a client may take to send a request head (request line and headers), counted from its first byte, or
         * from the connection's opening for its first request; past it the client gets 408 and the connection is
         * closed (slowloris). A kept-alive connection may stay idle between requests for
         * {@code quarkus.http.idle-timeout}.
         */
        @WithDefault("10s")
        Duration headerReadTimeout();
    }

    interface ForwardConfig {
        /** Time a client request may take, all tries included; then the client gets -32002. */
        @WithDefault("10s")
        Duration requestTimeout();

        /** Time one call to one upstream may take before it counts as failed and another upstream is tried. */
        @WithDefault("5s")
        Duration tryTimeout();

        /** Most upstreams tried for one read (the first try included). */
        @WithDefault("3")
        int maxAttempts();

        /**
         * Keep-alive connections kept per upstream, at most; shared out evenly between the event loops (each keeps its
         * own, rounded up), so that a call never leaves the thread of the request that made it.
         */
        @WithDefault("64")
        int connectionsPerUpstream();

        /** Largest upstream response accepted, in bytes; a larger one counts as a failed call. */
        @WithDefault("67108864")
        int maxResponseBytes();

        /**
         * Upstream answer bytes being received at once, all requests together. Unset: a quarter of the maximum heap.
         * A call whose answer would go past it is not read: the client gets 503, {@code -32002}, at once.
         */
        OptionalLong maxAnswerBytesInFlight();
    }

    interface HealthConfig {
        /** Time between probes of each upstream. */
        @WithDefault("2s")
        Duration interval();

        /**
         * Longest a probe may take before it counts as failed; by default the interval, and at least 500 ms. (A
         * probe slower than the interval would overlap the next round.)
         */
        Optional<Duration> timeout();

        /** Blocks behind the best head before an upstream is ejected. */
        @WithDefault("5")
        long maxLag();

        /** Consecutive failed probes that eject an upstream. */
        @WithDefault("2")
        int failuresToEject();

        /** Consecutive good probes that readmit an ejected upstream. */
        @WithDefault("2")
        int successesToReadmit();

        /** The circuit breaker on live traffic, one per upstream. */
        CircuitBreakerConfig circuitBreaker();
    }

    interface CircuitBreakerConfig {
        /** Calls in the rolling window the failure ratio is computed over. */
        @WithDefault("20")
        int requestVolume();

        /** Share of failed calls (timeouts, connection errors, 5xx, 429, garbage) in the window that opens the breaker. */
        @WithDefault("0.5")
        double failureRatio();

        /** Time an open breaker waits before it lets trial calls through (when probes have not readmitted it first). */
        @WithDefault("10s")
        Duration delay();
    }

    interface CacheConfig {
        /** Whether immutable answers are served from memory. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Upper bound of the cache in bytes, as the weigher counts them (answer, key and per-entry overhead). Unset: a
         * quarter of the maximum heap; above half of it, startup refuses (see {@link HeapShares}).
         */
        OptionalLong maxBytes();

        /** Optional time after which a stored answer is dropped even though it cannot change. */
        Optional<Duration> expireAfterWrite();
    }

    interface OverloadConfig {
        /** Whether new requests are shed while the heap is nearly full after a collection (see docs/memory.md). */
        @WithDefault("true")
        boolean enabled();

        /** Share of the maximum heap in use after a collection above which the gateway sheds new requests. */
        @WithDefault("0.90")
        double highWater();

        /** Share of the maximum heap below which, after a collection, shedding stops. */
        @WithDefault("0.75")
        double lowWater();

        /** While shedding, how often a collection is asked for to see whether memory came back. */
        @WithDefault("2s")
        Duration recheckInterval();
    }

    interface DevnetConfig {
        /** Number of anvil nodes dev mode starts. */
        @WithDefault("3")
        int nodes();

        /** Time between blocks on the devnet. */
        @WithDefault("2s")
        Duration blockInterval();

        /** The anvil binary; by default the one the build installed under src/test/anvil. */
        @WithName("anvil")
        Optional<String> anvilPath();
    }
}
