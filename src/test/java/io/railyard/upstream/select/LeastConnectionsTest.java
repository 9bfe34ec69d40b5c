package io.railyard.upstream.select;

import io.railyard.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.railyard.upstream.select.RoundRobinTest.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeastConnectionsTest {

    private final LeastConnections policy = new LeastConnections();

    private static void load(Upstream u, int calls) {
        for (int i = 0; i < calls; i++) {
            u.startCall();
        }
    }

    @Test
    void picksFewestInFlight() {
        List<Upstream> all = pool(1, 1, 1);
        load(all.get(0), 2);
        load(all.get(2), 1);
        for (int i = 0; i < 100; i++) {
            assertSame(all.get(1), policy.pick(all, null));
        }
    }

    @Test
    void followsCallsAsTheyStartAndEnd() {
        List<Upstream> all = pool(1, 1, 1);
        for (int i = 0; i < 9; i++) {
            policy.pick(all, null).startCall();
        }
        for (Upstream u : all) {
            assertEquals(3, u.inFlight(), u.name());
        }
        all.get(2).endCall();
        assertSame(all.get(2), policy.pick(all, null));
        all.get(0).endCall();
        all.get(0).endCall();
        assertSame(all.get(0), policy.pick(all, null));
    }

    @Test
    void inFlightIsWeighed() {
        List<Upstream> all = pool(2, 1, 1);
        load(all.get(0), 2);
        load(all.get(1), 1);
        load(all.get(2), 2);
        int[] counts = new int[3];
        for (int i = 0; i < 1000; i++) {
            counts[policy.pick(all, null).index()]++;
        }
        assertEquals(0, counts[2], "2 in flight at weight 1 loses to 1 per unit of weight");
        assertTrue(counts[0] > 400 && counts[1] > 400, "2/2 and 1/1 tie: " + counts[0] + "/" + counts[1]);

        all.get(0).startCall(); // 3/2 > 1/1
        assertSame(all.get(1), policy.pick(all, null));
        all.get(1).startCall(); // 3/2 < 2/1
        assertSame(all.get(0), policy.pick(all, null));
    }

    @Test
    void tiesAreBrokenUniformly() {
        List<Upstream> all = pool(1, 1, 1);
        int[] counts = new int[3];
        for (int i = 0; i < 10_000; i++) {
            counts[policy.pick(all, null).index()]++;
        }
        for (int c : counts) {
            assertEquals(3333, c, 300);
        }
    }
}
