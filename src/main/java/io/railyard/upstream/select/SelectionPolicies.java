package io.railyard.upstream.select;

import io.railyard.config.Routing;
import io.railyard.upstream.SelectionPolicy;
import io.railyard.upstream.Upstream;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/** The policy a network's configured {@link Routing} stands for. */
@ApplicationScoped
public class SelectionPolicies implements SelectionPolicy.Factory {

    @Override
    public SelectionPolicy create(Routing routing, List<Upstream> all) {
        return switch (routing) {
            case ROUND_ROBIN -> new RoundRobin(all);
            case LEAST_CONNECTIONS -> new LeastConnections();
            case IP_HASH -> new IpHash(all);
        };
    }
}
