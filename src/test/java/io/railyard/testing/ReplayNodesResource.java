package io.railyard.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts three {@link ReplayUpstream}s of the conformance corpus on free loopback ports behind one network,
 * {@code conformance}, whose chain id is the recorded chain's ({@code 0xc72dd9d5e883e} = 3503995874084926), probed
 * every 250 ms. Init args: any {@code railyard.*} or {@code quarkus.*} key, passed on as configuration.
 */
public class ReplayNodesResource implements QuarkusTestResourceLifecycleManager {

    public static final String NETWORK = "conformance";
    /** The execution-apis test chain: {@code 0xc72dd9d5e883e}. */
    public static final long CHAIN_ID = 0xc72dd9d5e883eL;
    public static final int REPLAYS = 3;

    private final List<ReplayUpstream> replays = new ArrayList<>();
    private Vertx vertx;
    private Map<String, String> args = Map.of();

    @Override
    public void init(Map<String, String> initArgs) {
        this.args = initArgs;
    }

    @Override
    public Map<String, String> start() {
        List<ConformanceCorpus.Case> corpus = ConformanceCorpus.load();
        vertx = Vertx.vertx();
        Map<String, String> config = new HashMap<>();
        String prefix = "railyard.networks." + NETWORK;
        config.put(prefix + ".chain-id", Long.toString(CHAIN_ID));
        for (int i = 0; i < REPLAYS; i++) {
            ReplayUpstream replay = ReplayUpstream.start(vertx, corpus);
            replays.add(replay);
            config.put(prefix + ".upstreams.replay-" + i + ".url", replay.url());
        }
        config.put("railyard.health.interval", "250ms");
        ResourceArgs.applyConfigKeys(args, config);
        return config;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(new ReplayNodes(List.copyOf(replays)), new TestInjector.MatchesType(ReplayNodes.class));
    }

    @Override
    public void stop() {
        replays.forEach(ReplayUpstream::close);
        if (vertx != null) {
            vertx.close();
        }
    }
}
