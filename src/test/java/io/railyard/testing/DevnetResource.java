package io.railyard.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.railyard.devnet.Devnet;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts a three-node anvil devnet on free loopback ports and configures one network per routing policy over
 * the same nodes ({@code rr}, {@code lc}, {@code ih}), so one application start exercises all three. The
 * {@link Devnet} is injected into test fields of that type.
 */
public class DevnetResource implements QuarkusTestResourceLifecycleManager {

    public static final Map<String, String> NETWORKS = Map.of("rr", "round-robin", "lc", "least-connections", "ih", "ip-hash");

    private Devnet devnet;
    private Map<String, String> args = Map.of();

    /** Init args: {@code nodes} (default 3) and {@code block-interval-ms} (default 250). */
    @Override
    public void init(Map<String, String> initArgs) {
        this.args = initArgs;
    }

    @Override
    public Map<String, String> start() {
        devnet = Devnet.start(new Devnet.Options().nodeCount(Integer.parseInt(args.getOrDefault("nodes", "3")))
                .blockInterval(Duration.ofMillis(Long.parseLong(args.getOrDefault("block-interval-ms", "250")))));
        Map<String, String> config = new HashMap<>();
        NETWORKS.forEach((network, routing) -> {
            String prefix = "railyard.networks." + network;
            config.put(prefix + ".chain-id", Long.toString(devnet.chainId()));
            config.put(prefix + ".routing", routing);
            for (int i = 0; i < devnet.nodeCount(); i++) {
                config.put(prefix + ".upstreams.anvil-" + i + ".url", devnet.url(i).toString());
            }
        });
        config.put("railyard.default-network", "rr");
        config.put("railyard.health.interval", "500ms");
        return config;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(devnet, new TestInjector.MatchesType(Devnet.class));
    }

    @Override
    public void stop() {
        if (devnet != null) {
            devnet.close();
        }
    }
}
