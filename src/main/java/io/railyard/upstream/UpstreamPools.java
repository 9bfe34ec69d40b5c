package io.railyard.upstream;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Startup;
import io.railyard.config.ConfigValidator;
import io.railyard.config.HeapShares;
import io.railyard.config.InvalidConfiguration;
import io.railyard.config.RailyardConfig;
import io.railyard.config.Routing;
import io.railyard.jsonrpc.RpcCodec;
import io.railyard.metrics.Meters;
import io.vertx.core.Vertx;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import io.smallrye.faulttolerance.api.CircuitBreakerState;

import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every network's pool of upstreams, built once at startup from configuration (checked first, one line per
 * mistake), or in dev mode without configured networks, from the {@link LocalNetwork} a starter bean provides
 * (the anvil devnet); this layer does not know the devnet itself.
 */
@Startup
@ApplicationScoped
public class UpstreamPools {

    private static final Logger LOG = Logger.getLogger(UpstreamPools.class);

    @Inject
    RailyardConfig config;

    @Inject
    Vertx vertx;

    @Inject
    Clock clock;

    @Inject
    Meters meters;

    private final Map<String, UpstreamPool> pools = new LinkedHashMap<>();
    private String defaultNetwork;
    private UpstreamClient client;
    private LocalNetwork localNetwork;

    @Inject
    Instance<LocalNetwork.Starter> localNetworks;

    @Inject
    SelectionPolicy.Factory policies;

    private Ejections ejections;

    @PostConstruct
    void build() {
        ejections = new Ejections(meters, clock);
        boolean devMode = LaunchMode.current() == LaunchMode.DEVELOPMENT;
        List<String> errors = ConfigValidator.validate(config, devMode);
        if (!errors.isEmpty()) {
            throw new InvalidConfiguration(errors);
        }
        RailyardConfig.ForwardConfig forward = config.forward();
        client = new UpstreamClient(vertx, forward.connectionsPerUpstream(), forward.maxResponseBytes(),
                HeapShares.orQuarterOfHeap(forward.maxAnswerBytesInFlight(), Runtime.getRuntime().maxMemory()),
                new RpcCodec(RpcCodec.Limits.DEFAULT));
        config.networks().forEach((name, network) -> {
            List<UpstreamSpec> specs = new ArrayList<>();
            network.upstreams().forEach((uname, u) -> specs.add(new UpstreamSpec(uname, URI.create(u.url().trim()), u.weight(), u.headers())));
            add(name, network.chainId(), network.finalityDepth(), network.broadcastTransactions(), network.routing(), specs);
        });
        if (pools.isEmpty()) {
            startLocalNetwork();
        }
        defaultNetwork = config.defaultNetwork().orElse(pools.size() == 1 ? pools.keySet().iterator().next() : null);
        pools.values().forEach(this::registerGauges);
        pools.values().forEach(p -> LOG.infof("network %s (chain %d, %s): %s", p.network(), p.chainId(), p.routing(),
                p.upstreams().stream().map(u -> u.name() + "=" + u.displayUrl()).toList()));
    }

    private void startLocalNetwork() {
        if (!localNetworks.isResolvable()) {
            return;
        }
        localNetwork = localNetworks.get().start();
        List<UpstreamSpec> specs = new ArrayList<>();
        for (int i = 0; i < localNetwork.nodes().size(); i++) {
            specs.add(new UpstreamSpec("anvil-" + i, localNetwork.nodes().get(i), 1, Map.of()));
        }
        add(localNetwork.name(), localNetwork.chainId(), 64, true, Routing.ROUND_ROBIN, specs);
        org.eclipse.microprofile.config.Config runtime = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        String management = runtime.getOptionalValue("quarkus.management.port", String.class).orElse("9000");
        LOG.infof("dev mode: no railyard.networks configured, started a devnet of %d anvil nodes; send JSON-RPC to http://localhost:%s/ (or /%s);"
                        + " status http://localhost:%s/status, metrics http://localhost:%s/q/metrics, health http://localhost:%s/q/health"
                        + " (management port, quarkus.management.port)",
                specs.size(), runtime.getOptionalValue("quarkus.http.port", String.class).orElse("8080"), localNetwork.name(),
                management, management, management);
    }

    private void add(String name, long chainId, int finalityDepth, boolean broadcast, Routing routing, List<UpstreamSpec> specs) {
        List<Upstream> upstreams = new ArrayList<>();
        RailyardConfig.CircuitBreakerConfig cb = config.health().circuitBreaker();
        for (UpstreamSpec s : specs) {
            Upstream u = new Upstream(name, s.name(), s.url(), s.weight(), upstreams.size(), s.headers());
            u.breaker(new CircuitBreaker(u, cb.requestVolume(), cb.failureRatio(), cb.delay(), state -> {
                if (state == CircuitBreakerState.OPEN && u.isHealthy()) {
                    String last = u.stats().lastError();
                    String reason = "circuit breaker open: at least " + Math.round(cb.failureRatio() * 100) + "% of the last "
                            + cb.requestVolume() + " calls failed" + (last == null ? "" : ", last: " + last);
                    ejections.eject(u, HealthPolicy.CIRCUIT_BREAKER, reason);
                }
            }));
            upstreams.add(u);
        }
        pools.put(name, new UpstreamPool(name, chainId, finalityDepth, config.health().maxLag(), broadcast, routing.configName(), upstreams,
                policies.create(routing, upstreams)));
    }

    private void registerGauges(UpstreamPool pool) {
        meters.declareNetwork(pool.network());
        meters.networkGauge(pool.network(), pool, UpstreamPool::finalized);
        meters.networkHeadGauges(pool.network(), pool, UpstreamPool::servedHead, p -> p.inPanic() ? 1 : 0);
        for (Upstream u : pool.upstreams()) {
            meters.declareUpstream(pool.network(), u.name(), HealthPolicy.EJECTION_REASONS);
            meters.upstreamGauges(pool.network(), u.name(), u,
                    x -> x.isHealthy() ? 1 : 0,
                    Upstream::head,
                    x -> Math.max(0, pool.lag(x)),
                    Upstream::inFlight);
        }
    }

    @PreDestroy
    void stop() {
        if (client != null) {
            client.close();
        }
        if (localNetwork != null) {
            localNetwork.stop().run();
        }
    }

    /** The pool of a network, or null when there is no such network. */
    public UpstreamPool pool(String network) {
        return pools.get(network);
    }

    /** The pool that {@code POST /} serves, or null when no default network is set and there are several. */
    public UpstreamPool defaultPool() {
        return defaultNetwork == null ? null : pools.get(defaultNetwork);
    }

    public Map<String, UpstreamPool> all() {
        return pools;
    }

    public UpstreamClient client() {
        return client;
    }

    /** How upstreams are ejected, by probes and breakers alike. */
    public Ejections ejections() {
        return ejections;
    }

    private record UpstreamSpec(String name, URI url, int weight, Map<String, String> headers) {
    }
}
