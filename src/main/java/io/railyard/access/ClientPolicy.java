package io.railyard.access;

import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.access.limit.Decision;
import io.railyard.access.limit.Limit;
import io.railyard.access.limit.LocalRateLimiter;
import io.railyard.access.limit.RateLimiter;
import io.railyard.access.limit.RedisRateLimiter;
import io.railyard.config.RailyardConfig;
import io.railyard.config.RateLimitBackend;
import io.railyard.config.RedisFailureMode;
import io.railyard.evm.MethodCatalog;
import io.railyard.metrics.Meters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * What each client may do: which API keys exist, which methods each network and key refuses, what methods cost,
 * and whether a client has quota left (locally or in Redis).
 */
@ApplicationScoped
public class ClientPolicy {

    @Inject
    RailyardConfig config;

    @Inject
    Vertx vertx;

    @Inject
    Meters meters;

    @Inject
    Ticker ticker;

    private final ApiKeys keys = new ApiKeys();
    /** Built once at startup and only read afterwards, from any event loop. */
    private final Map<String, MethodRules> networkRules = new HashMap<>();
    /** Rules of a network without its own (the dev-mode devnet): the built-in deny list. */
    private final MethodRules defaultRules = MethodRules.network(MethodCatalog.defaultDenied(), List.of());
    private final Map<String, Integer> costs = new HashMap<>();
    private RateLimiter limiter;
    private Limit perIp;
    private String backend;

    @PostConstruct
    void init() {
        config.apiKeys().forEach((name, k) -> {
            String hash = k.keySha256().orElseGet(() -> k.key().map(ApiKeys::sha256Hex).orElse(null));
            if (hash != null) {
                keys.add(hash, new ApiKey(name, Limit.of(k.rate(), k.burst().orElse(null)),
                        k.networks().map(HashSet::new).orElse(null),
                        MethodRules.key(k.allowMethods().orElse(null), k.denyMethods().orElse(null))));
            }
        });
        config.networks().forEach((name, n) -> networkRules.put(name,
                MethodRules.network(n.denyMethods().orElse(MethodCatalog.defaultDenied()), n.allowMethods().orElse(List.of()))));
        costs.putAll(config.rateLimit().methodCosts());
        RailyardConfig.RateLimitConfig rl = config.rateLimit();
        perIp = Limit.of(rl.perIp().rate(), rl.perIp().burst().orElse(null));
        backend = rl.backend().configName();
        limiter = rl.backend() == RateLimitBackend.REDIS
                ? new RedisRateLimiter(vertx, rl.redisUrl(), rl.redisFailureMode() == RedisFailureMode.FAIL_OPEN, rl.redisTimeout().toMillis(), "railyard:rl:")
                : new LocalRateLimiter(ticker::read);
        meters.rateLimitBackend(limiter, l -> l.available() ? 1 : 0);
    }

    @PreDestroy
    void close() {
        limiter.close();
    }

    /** The key whose secret this is, or null. */
    public ApiKey key(String secret) {
        return keys.find(secret);
    }

    public boolean requiresKey(String network) {
        RailyardConfig.NetworkConfig n = config.networks().get(network);
        return n != null && n.requireApiKey();
    }

    /** Whether the network or the client's key refuses the method. */
    public boolean refuses(String network, ClientIdentity client, String method) {
        return refusal(network, client, method) != null;
    }

    /**
     * Why the method is refused, in words a client can act on (which keys change it), or null when it is not.
     * The network's rules come first: a key cannot allow what its network refuses.
     */
    public String refusal(String network, ClientIdentity client, String method) {
        if (networkRules.getOrDefault(network, defaultRules).refuses(method)) {
            return "the method " + method + " is refused by this gateway's policy for network " + network
                    + " (railyard.networks." + network + ".deny-methods / allow-methods; node administration, debug"
                    + " and node-held keys are refused by default), not by a node";
        }
        if (client.key() != null && client.key().rules().refuses(method)) {
            return "the method " + method + " is refused by this gateway's policy for API key '" + client.key().name()
                    + "' (railyard.api-keys." + client.key().name() + ".deny-methods / allow-methods), not by a node";
        }
        return null;
    }

    public int cost(String method) {
        Integer configured = costs.get(method);
        return configured != null ? configured : MethodCatalog.defaultCost(method);
    }

    /** The limit that applies to this client. */
    public Limit limitOf(ClientIdentity client) {
        return client.key() != null ? client.key().limit() : perIp;
    }

    /** Spends {@code cost} of the client's quota, or says how long to wait. */
    public Future<Decision> admit(ClientIdentity client, String network, int cost) {
        Limit limit = limitOf(client);
        if (limit.unlimited()) {
            return Future.succeededFuture(Decision.allow(Long.MAX_VALUE));
        }
        return limiter.acquire(client.bucket(), limit, cost).onSuccess(d -> {
            if (!d.allowed()) {
                meters.rateLimited(network, d.backendDown() ? "backend_down" : client.key() != null ? "key" : "ip");
            }
        });
    }

    public String backend() {
        return backend;
    }

    public boolean backendAvailable() {
        return limiter.available();
    }
}
