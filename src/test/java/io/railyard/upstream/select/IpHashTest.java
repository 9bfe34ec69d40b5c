package io.railyard.upstream.select;

import io.railyard.upstream.SelectionPolicy;
import io.railyard.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.railyard.upstream.select.RoundRobinTest.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpHashTest {

    private static final int CLIENTS = 10_000;

    private static String client(int i) {
        return "10.0." + (i / 256) + "." + (i % 256);
    }

    private static Upstream[] assign(SelectionPolicy policy, List<Upstream> candidates) {
        Upstream[] chosen = new Upstream[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            chosen[i] = policy.pick(candidates, client(i));
        }
        return chosen;
    }

    @Test
    void sameClientSameUpstream() {
        List<Upstream> all = pool(1, 1, 1, 1, 1);
        Upstream[] first = assign(new IpHash(all), all);
        // A fresh instance (another gateway replica, or after a restart) must agree.
        Upstream[] again = assign(new IpHash(pool(1, 1, 1, 1, 1)), all);
        for (int i = 0; i < CLIENTS; i++) {
            assertEquals(first[i].name(), again[i].name(), client(i));
        }
        IpHash policy = new IpHash(all);
        assertSame(policy.pick(all, ""), policy.pick(all, null));
    }

    @Test
    void clientsSpreadEvenly() {
        List<Upstream> all = pool(1, 1, 1, 1, 1);
        int[] counts = new int[5];
        for (Upstream u : assign(new IpHash(all), all)) {
            counts[u.index()]++;
        }
        for (int c : counts) {
            assertEquals(CLIENTS / 5, c, CLIENTS * 0.03);
        }
    }

    @Test
    void removingAnUpstreamMovesOnlyItsClients() {
        List<Upstream> all = pool(1, 1, 1, 1, 1);
        IpHash policy = new IpHash(all);
        Upstream gone = all.get(2);
        List<Upstream> rest = new ArrayList<>(all);
        rest.remove(gone);

        Upstream[] before = assign(policy, all);
        Upstream[] after = assign(policy, rest);
        int moved = 0;
        int[] movedTo = new int[5];
        for (int i = 0; i < CLIENTS; i++) {
            if (before[i] == gone) {
                moved++;
                assertNotSame(gone, after[i]);
                movedTo[after[i].index()]++;
            } else {
                assertSame(before[i], after[i], client(i) + " stays put");
            }
        }
        assertEquals(CLIENTS / 5, moved, CLIENTS * 0.03);
        for (Upstream u : rest) {
            assertTrue(movedTo[u.index()] > moved / 8, "moved clients spread over the rest: " + u);
        }
    }

    @Test
    void weightsSkewTheShare() {
        List<Upstream> all = pool(2, 1);
        int[] counts = new int[2];
        for (Upstream u : assign(new IpHash(all), all)) {
            counts[u.index()]++;
        }
        assertEquals(CLIENTS * 2 / 3.0, counts[0], CLIENTS * 0.03);
        assertEquals(CLIENTS / 3.0, counts[1], CLIENTS * 0.03);
    }
}
