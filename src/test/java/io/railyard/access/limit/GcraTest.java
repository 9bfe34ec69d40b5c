package io.railyard.access.limit;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token bucket, driven by a hand-moved clock: no test here waits for time to pass. */
class GcraTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final LocalRateLimiter limiter = new LocalRateLimiter(now::get);

    private void advanceMillis(long ms) {
        now.addAndGet(ms * 1_000_000);
    }

    @Test
    void aFullBucketAdmitsTheBurstThenRefuses() {
        Limit limit = new Limit(10, 5);
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.decide("c", limit, 1).allowed(), "request " + i);
        }
        Decision refused = limiter.decide("c", limit, 1);
        assertFalse(refused.allowed());
        assertEquals(100_000_000L, refused.retryAfterNanos(), "one token comes back every 100 ms");
        assertEquals(1, refused.retryAfterSeconds());
    }

    @Test
    void tokensComeBackAtTheRate() {
        Limit limit = new Limit(10, 5);
        for (int i = 0; i < 5; i++) {
            limiter.decide("c", limit, 1);
        }
        advanceMillis(99);
        assertFalse(limiter.decide("c", limit, 1).allowed());
        advanceMillis(1);
        assertTrue(limiter.decide("c", limit, 1).allowed());
        assertFalse(limiter.decide("c", limit, 1).allowed());
        advanceMillis(10_000);
        int admitted = 0;
        while (limiter.decide("c", limit, 1).allowed()) {
            admitted++;
        }
        assertEquals(5, admitted, "a long quiet period refills to the burst, not beyond");
    }

    @Test
    void costsSpendSeveralTokensAndRetryAfterCoversTheWholeCost() {
        Limit limit = new Limit(10, 20);
        assertTrue(limiter.decide("c", limit, 10).allowed());
        assertTrue(limiter.decide("c", limit, 10).allowed());
        Decision refused = limiter.decide("c", limit, 10);
        assertFalse(refused.allowed());
        assertEquals(1_000_000_000L, refused.retryAfterNanos(), "ten tokens take one second");
        advanceMillis(999);
        assertFalse(limiter.decide("c", limit, 10).allowed());
        advanceMillis(1);
        assertTrue(limiter.decide("c", limit, 10).allowed());
    }

    @Test
    void aRequestCostingMoreThanTheBurstIsNeverAdmitted() {
        Limit limit = new Limit(1, 3);
        assertFalse(limiter.decide("c", limit, 4).allowed());
    }

    @Test
    void remainingCountsDown() {
        Limit limit = new Limit(1, 3);
        assertEquals(2, limiter.decide("c", limit, 1).remaining());
        assertEquals(1, limiter.decide("c", limit, 1).remaining());
        assertEquals(0, limiter.decide("c", limit, 1).remaining());
    }

    @Test
    void bucketsAreIndependentAndUnlimitedMeansUnlimited() {
        Limit limit = new Limit(1, 1);
        assertTrue(limiter.decide("a", limit, 1).allowed());
        assertFalse(limiter.decide("a", limit, 1).allowed());
        assertTrue(limiter.decide("b", limit, 1).allowed());
        for (int i = 0; i < 1000; i++) {
            assertTrue(limiter.decide("z", Limit.UNLIMITED, 100).allowed());
        }
    }

    @Test
    void defaultBurstIsTwiceTheRateAndTheWindowIsTheRefillTime() {
        Limit limit = Limit.of(50, null);
        assertEquals(100, limit.burst());
        assertEquals(2, limit.windowSeconds());
        assertTrue(Limit.of(0, 10.0).unlimited());
    }
}
