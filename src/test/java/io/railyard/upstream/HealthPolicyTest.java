package io.railyard.upstream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthPolicyTest {

    private final HealthPolicy policy = new HealthPolicy(5, 2, 3);

    private static ProbeResult at(long head) {
        return new ProbeResult(1, head, head - 10, false, null);
    }

    @Test
    void bestHeadIsTheHighestThatTheMajorityHasReached() {
        assertEquals(1002, policy.bestHead(new long[]{1000, 1002, 1001}));
        assertEquals(1010, policy.bestHead(new long[]{1000, 1010, 1009}), "one laggard does not pull the head down");
        assertEquals(-1, policy.bestHead(new long[]{-1, -1}));
        assertEquals(7, policy.bestHead(new long[]{7}));
    }

    @Test
    void rogueHighHeadDoesNotGetTheHealthyMajorityEjected() {
        long best = policy.bestHead(new long[]{1000, 1001, 999_999});
        assertEquals(1001, best);
        assertNull(policy.unfitReason(at(1000), 1, best));
        assertNull(policy.unfitReason(at(1001), 1, best));
        assertTrue(policy.unfitReason(at(999_999), 1, best).contains("ahead"));
    }

    @Test
    void rogueHighHeadCannotOutvoteTheLastHonestNodeWhenAnotherIsDown() {
        long best = policy.bestHead(new long[]{-1, 1_000_000, 100});
        assertEquals(100, best, "only the honest head has the support of half the pool");
        assertNull(policy.unfitReason(at(100), 1, best));
        assertEquals(-1, policy.bestHead(new long[]{-1, -1, 1_000_000}), "one node of three cannot set the head alone");
        assertEquals(100, policy.bestHead(new long[]{-1, 100, 99}));
        assertEquals(110, policy.bestHead(new long[]{100, 110}), "of two nodes, the one behind is taken as lagging");
    }

    @Test
    void lagIsMeasuredAgainstTheBestHead() {
        long best = policy.bestHead(new long[]{1042, 1042, 1030});
        assertNull(policy.unfitReason(at(1037), 1, best), "5 behind is within max-lag 5");
        assertEquals("12 blocks behind best head 1042 (max-lag 5)", policy.unfitReason(at(1030), 1, best));
    }

    @Test
    void wrongChainAndSyncingAreUnfit() {
        assertTrue(policy.unfitReason(new ProbeResult(5, 10, 0, false, null), 1, 10).startsWith("wrong chain"));
        assertEquals("syncing", policy.unfitReason(new ProbeResult(1, 10, 0, true, null), 1, 10));
    }

    @Test
    void thresholds() {
        assertFalse(policy.ejectsAfter(1));
        assertTrue(policy.ejectsAfter(2));
        assertFalse(policy.readmitsAfter(2));
        assertTrue(policy.readmitsAfter(3));
    }
}
