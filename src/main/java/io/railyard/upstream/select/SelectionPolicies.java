package io.railyard.upstream.select;

import io.railyard.config.Routing;
import io.railyard.upstream.Upstream;

import java.util.List;

/** The policy a network's configured {@link Routing} stands for. */
public final class SelectionPolicies {

    private SelectionPolicies() {
    }

    public static SelectionPolicy create(Routing routing, List<Upstream> all) {
        return switch (routing) {
            case ROUND_ROBIN -> new RoundRobin(all);
            case LEAST_CONNECTIONS -> new LeastConnections();
            case IP_HASH -> new IpHash(all);
        };
    }
}
