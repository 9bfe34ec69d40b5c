package io.railyard.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts fake upstreams on free loopback ports and points one network ({@code testnet}, chain id 1) at them.
 * Init args: {@code count} (default 3), {@code routing} (default round-robin), {@code mirror-networks} (more
 * network names over the same fakes, comma-separated), {@code userinfo} and {@code path-and-query} (put into every
 * node's configured URL, as a provider's API key would be), and any {@code railyard.*} key, passed on as configuration.
 */
public class FakeNodesResource implements QuarkusTestResourceLifecycleManager {

    public static final String NETWORK = "testnet";

    private final List<FakeUpstream> nodes = new ArrayList<>();
    private Map<String, String> args = Map.of();

    @Override
    public void init(Map<String, String> initArgs) {
        this.args = initArgs;
    }

    @Override
    public Map<String, String> start() {
        int count = Integer.parseInt(args.getOrDefault("count", "3"));
        Map<String, String> config = new HashMap<>();
        String prefix = "railyard.networks." + NETWORK;
        config.put(prefix + ".chain-id", "1");
        config.put(prefix + ".routing", args.getOrDefault("routing", "round-robin"));
        for (int i = 0; i < count; i++) {
            FakeUpstream fake = FakeUpstream.start();
            nodes.add(fake);
            String userinfo = args.containsKey("userinfo") ? args.get("userinfo") + "@" : "";
            config.put(prefix + ".upstreams.node-" + i + ".url", fake.url().replace("://", "://" + userinfo)
                    + args.getOrDefault("path-and-query", ""));
        }
        for (String mirror : args.getOrDefault("mirror-networks", "").split(",")) {
            if (mirror.isBlank()) {
                continue;
            }
            config.put("railyard.networks." + mirror + ".chain-id", "1");
            for (int i = 0; i < count; i++) {
                config.put("railyard.networks." + mirror + ".upstreams.node-" + i + ".url", nodes.get(i).url());
            }
        }
        if (!args.getOrDefault("mirror-networks", "").isBlank()) {
            config.put("railyard.default-network", NETWORK);
        }
        config.put("railyard.health.interval", "250ms");
        config.put("railyard.forward.try-timeout", "1500ms");
        config.put("railyard.forward.request-timeout", "4s");
        ResourceArgs.applyConfigKeys(args, config);
        return config;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(new FakeNodes(List.copyOf(nodes)), new TestInjector.MatchesType(FakeNodes.class));
    }

    @Override
    public void stop() {
        nodes.forEach(FakeUpstream::close);
    }
}
