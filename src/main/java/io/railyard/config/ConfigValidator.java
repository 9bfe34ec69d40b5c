package io.railyard.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks a {@link RailyardConfig} and returns one line per mistake, each naming the key and why. */
public final class ConfigValidator {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    public static final String NO_NETWORK = "railyard.networks: no network configured; define one with "
            + "railyard.networks.<name>.chain-id and railyard.networks.<name>.upstreams.<node>.url "
            + "(application.yaml, environment variables or -D system properties), or run ./mvnw quarkus:dev for a local devnet";

    private ConfigValidator() {
    }

    /** @param devMode whether an empty network list is allowed (dev mode starts a devnet instead) */
    public static List<String> validate(RailyardConfig config, boolean devMode) {
        return validate(config, devMode, Runtime.getRuntime().maxMemory());
    }

    /** @param maxHeap the heap the cache has to fit in, in bytes */
    public static List<String> validate(RailyardConfig config, boolean devMode, long maxHeap) {
        List<String> errors = new ArrayList<>();
        Map<String, RailyardConfig.NetworkConfig> networks = config.networks();
        if (networks.isEmpty() && !devMode) {
            errors.add(NO_NETWORK);
        }
        config.defaultNetwork().ifPresent(name -> {
            if (!networks.isEmpty() && !networks.containsKey(name)) {
                errors.add("railyard.default-network: '" + name + "' is not a configured network (configured: "
                        + String.join(", ", networks.keySet()) + ")");
            }
        });
        networks.forEach((name, network) -> validateNetwork("railyard.networks." + name, name, network, errors));

        RailyardConfig.LimitsConfig limits = config.limits();
        positive(errors, "railyard.limits.max-body-bytes", limits.maxBodyBytes());
        positive(errors, "railyard.limits.max-batch-items", limits.maxBatchItems());
        positive(errors, "railyard.limits.max-nesting-depth", limits.maxNestingDepth());
        positive(errors, "railyard.limits.max-method-length", limits.maxMethodLength());
        positive(errors, "railyard.limits.max-in-flight", limits.maxInFlight());
        positive(errors, "railyard.limits.body-read-timeout", limits.bodyReadTimeout().toMillis());
        positive(errors, "railyard.limits.header-read-timeout", limits.headerReadTimeout().toMillis());
        RailyardConfig.ForwardConfig forward = config.forward();
        positive(errors, "railyard.forward.max-attempts", forward.maxAttempts());
        positive(errors, "railyard.forward.connections-per-upstream", forward.connectionsPerUpstream());
        positive(errors, "railyard.forward.max-response-bytes", forward.maxResponseBytes());
        forward.maxAnswerBytesInFlight().ifPresent(b -> positive(errors, "railyard.forward.max-answer-bytes-in-flight", b));
        positive(errors, "railyard.forward.request-timeout", forward.requestTimeout().toMillis());
        positive(errors, "railyard.forward.try-timeout", forward.tryTimeout().toMillis());
        RailyardConfig.HealthConfig health = config.health();
        positive(errors, "railyard.health.interval", health.interval().toMillis());
        health.timeout().ifPresent(t -> positive(errors, "railyard.health.timeout", t.toMillis()));
        if (health.maxLag() < 0) {
            errors.add("railyard.health.max-lag: must not be negative (was " + health.maxLag() + ")");
        }
        positive(errors, "railyard.health.failures-to-eject", health.failuresToEject());
        positive(errors, "railyard.health.successes-to-readmit", health.successesToReadmit());
        RailyardConfig.CircuitBreakerConfig breaker = health.circuitBreaker();
        positive(errors, "railyard.health.circuit-breaker.request-volume", breaker.requestVolume());
        if (!(breaker.failureRatio() > 0 && breaker.failureRatio() <= 1)) {
            errors.add("railyard.health.circuit-breaker.failure-ratio: must be above 0 and at most 1 (was " + breaker.failureRatio() + ")");
        }
        if (breaker.delay().isNegative()) {
            errors.add("railyard.health.circuit-breaker.delay: must not be negative (was " + breaker.delay() + ")");
        }
        RailyardConfig.WebSocketConfig ws = config.websocket();
        positive(errors, "railyard.websocket.max-connections", ws.maxConnections());
        positive(errors, "railyard.websocket.max-connections-per-client", ws.maxConnectionsPerClient());
        positive(errors, "railyard.websocket.max-subscriptions-per-connection", ws.maxSubscriptionsPerConnection());
        positive(errors, "railyard.websocket.max-message-bytes", ws.maxMessageBytes());
        positive(errors, "railyard.websocket.max-pending-bytes", ws.maxPendingBytes());
        positive(errors, "railyard.websocket.ping-interval", ws.pingInterval().toMillis());
        positive(errors, "railyard.websocket.idle-timeout", ws.idleTimeout().toMillis());
        positive(errors, "railyard.subscriptions.poll-interval", config.subscriptions().pollInterval().toMillis());
        positive(errors, "railyard.subscriptions.max-reorg-depth", config.subscriptions().maxReorgDepth());
        positive(errors, "railyard.subscriptions.max-gap-blocks", config.subscriptions().maxGapBlocks());
        config.cache().maxBytes().ifPresent(b -> positive(errors, "railyard.cache.max-bytes", b));
        HeapShares.cacheBoundProblem(config.cache().maxBytes(), maxHeap).ifPresent(errors::add);
        RailyardConfig.OverloadConfig overload = config.overload();
        if (!(overload.lowWater() > 0 && overload.lowWater() < overload.highWater() && overload.highWater() <= 1)) {
            errors.add("railyard.overload: low-water and high-water must satisfy 0 < low-water < high-water <= 1 (were "
                    + overload.lowWater() + " and " + overload.highWater() + ")");
        }
        positive(errors, "railyard.overload.recheck-interval", overload.recheckInterval().toMillis());
        config.trustedProxies().ifPresent(list -> {
            for (String entry : list) {
                if (IpRange.parse(entry) == null) {
                    errors.add("railyard.trusted-proxies: '" + entry + "' is not an IP address or CIDR range");
                }
            }
        });
        validateClients(config, errors);
        validateCors(config, errors);
        return errors;
    }

    private static void validateClients(RailyardConfig config, List<String> errors) {
        config.apiKeys().forEach((name, k) -> {
            String key = "railyard.api-keys." + name;
            if (k.key().isPresent() == k.keySha256().isPresent()) {
                errors.add(key + ": set exactly one of key or key-sha256");
            }
            k.keySha256().ifPresent(h -> {
                if (!h.matches("[0-9a-fA-F]{64}")) {
                    errors.add(key + ".key-sha256: not a hex SHA-256 (64 hex digits)");
                }
            });
            if (k.rate() < 0) {
                errors.add(key + ".rate: must not be negative (was " + k.rate() + ")");
            }
            k.burst().ifPresent(b -> {
                if (b < 1) {
                    errors.add(key + ".burst: must be at least 1 (was " + b + ")");
                }
            });
            k.networks().ifPresent(list -> list.forEach(n -> {
                if (!config.networks().containsKey(n)) {
                    errors.add(key + ".networks: '" + n + "' is not a configured network");
                }
            }));
        });
        RailyardConfig.RateLimitConfig rl = config.rateLimit();
        if (!rl.redisUrl().startsWith("redis://") && !rl.redisUrl().startsWith("rediss://") && !rl.redisUrl().startsWith("unix://")) {
            errors.add("railyard.rate-limit.redis-url: not a redis:// or rediss:// URL ('" + rl.redisUrl() + "')");
        }
        if (rl.perIp().rate() < 0) {
            errors.add("railyard.rate-limit.per-ip.rate: must not be negative (was " + rl.perIp().rate() + ")");
        }
        rl.perIp().burst().ifPresent(b -> {
            if (b < 1) {
                errors.add("railyard.rate-limit.per-ip.burst: must be at least 1 (was " + b + ")");
            }
        });
        rl.methodCosts().forEach((method, cost) -> {
            if (cost < 1) {
                errors.add("railyard.rate-limit.method-costs." + method + ": must be at least 1 (was " + cost + ")");
            }
        });
    }

    /** HTTP header names (RFC 9110 tokens). */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private static void validateCors(RailyardConfig config, List<String> errors) {
        RailyardConfig.CorsConfig cors = config.cors();
        origins(errors, "railyard.cors.allowed-origins", cors.allowedOrigins());
        if (cors.maxAge().isNegative()) {
            errors.add("railyard.cors.max-age: must not be negative (was " + cors.maxAge() + ")");
        }
        cors.allowedHeaders().ifPresent(list -> headerNames(errors, "railyard.cors.allowed-headers", list));
        headerNames(errors, "railyard.cors.exposed-headers", cors.exposedHeaders());
        config.networks().forEach((name, network) -> network.cors().allowedOrigins()
                .ifPresent(list -> origins(errors, "railyard.networks." + name + ".cors.allowed-origins", list)));
        config.apiKeys().forEach((name, key) -> key.allowedOrigins()
                .ifPresent(list -> origins(errors, "railyard.api-keys." + name + ".allowed-origins", list)));
    }

    private static void origins(List<String> errors, String key, List<String> entries) {
        AllowedOrigins.problems(entries).forEach(problem -> errors.add(key + ": " + problem));
    }

    private static void headerNames(List<String> errors, String key, List<String> names) {
        for (String name : names) {
            if (!HEADER_NAME.matcher(name.trim()).matches()) {
                errors.add(key + ": '" + name + "' is not an HTTP header name");
            }
        }
    }

    private static void validateNetwork(String key, String name, RailyardConfig.NetworkConfig network, List<String> errors) {
        if (!NAME.matcher(name).matches()) {
            errors.add(key + ": network name must be letters, digits, '-', '_' or '.' (it is a URL path segment)");
        }
        if (network.chainId() <= 0) {
            errors.add(key + ".chain-id: must be a positive chain id (was " + network.chainId() + ")");
        }
        if (network.finalityDepth() < 0) {
            errors.add(key + ".finality-depth: must not be negative (was " + network.finalityDepth() + ")");
        }
        if (network.upstreams().isEmpty()) {
            errors.add(key + ".upstreams: no upstream configured; add " + key + ".upstreams.<node>.url");
        }
        network.upstreams().forEach((upstream, u) -> {
            String ukey = key + ".upstreams." + upstream;
            if (!isHttpUrl(u.url())) {
                errors.add(ukey + ".url: not an http(s) URL ('" + u.url() + "')");
            }
            u.wsUrl().ifPresent(ws -> {
                if (!isWsUrl(ws)) {
                    errors.add(ukey + ".ws-url: not a ws(s) URL ('" + ws + "')");
                }
            });
            if (u.weight() < 1) {
                errors.add(ukey + ".weight: must be at least 1 (was " + u.weight() + ")");
            }
        });
    }

    static boolean isWsUrl(String url) {
        try {
            java.net.URI uri = java.net.URI.create(url.trim());
            return ("ws".equals(uri.getScheme()) || "wss".equals(uri.getScheme())) && uri.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean isHttpUrl(String url) {
        try {
            URI uri = new URI(url.trim());
            String scheme = uri.getScheme();
            return ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) && uri.getHost() != null && !uri.getHost().isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private static void positive(List<String> errors, String key, long value) {
        if (value <= 0) {
            errors.add(key + ": must be greater than zero (was " + value + ")");
        }
    }
}
