package io.railyard.upstream.select;

import io.railyard.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.railyard.upstream.select.RoundRobinTest.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelectionPoliciesTest {

    private final List<Upstream> all = pool(1, 2);

    @Test
    void namesMatchPolicies() {
        assertEquals(List.of("round-robin", "least-connections", "ip-hash"), SelectionPolicies.NAMES);
        assertInstanceOf(RoundRobin.class, SelectionPolicies.create("round-robin", all));
        assertInstanceOf(LeastConnections.class, SelectionPolicies.create("least-connections", all));
        assertInstanceOf(IpHash.class, SelectionPolicies.create("ip-hash", all));
    }

    @Test
    void unknownNameListsValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SelectionPolicies.create("random", all));
        assertTrue(e.getMessage().contains("'random'"), e.getMessage());
        for (String name : SelectionPolicies.NAMES) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SelectionPolicies.create(null, all));
        assertThrows(IllegalArgumentException.class, () -> SelectionPolicies.create("Round-Robin", all));
    }
}
