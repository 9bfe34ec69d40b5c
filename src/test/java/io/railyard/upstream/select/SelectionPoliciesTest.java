package io.railyard.upstream.select;

import io.railyard.config.Routing;
import io.railyard.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.railyard.upstream.select.RoundRobinTest.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class SelectionPoliciesTest {

    private final List<Upstream> all = pool(1, 2);

    @Test
    void everyRoutingChoiceHasItsPolicy() {
        assertInstanceOf(RoundRobin.class, new SelectionPolicies().create(Routing.ROUND_ROBIN, all));
        assertInstanceOf(LeastConnections.class, new SelectionPolicies().create(Routing.LEAST_CONNECTIONS, all));
        assertInstanceOf(IpHash.class, new SelectionPolicies().create(Routing.IP_HASH, all));
        assertEquals(List.of("round-robin", "least-connections", "ip-hash"),
                List.of(Routing.values()).stream().map(Routing::configName).toList(), "the names configuration uses");
    }
}
