package io.railyard.upstream.select;

import io.railyard.upstream.SelectionPolicy;
import io.railyard.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundRobinTest {

    static List<Upstream> pool(int... weights) {
        List<Upstream> all = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            all.add(new Upstream("net", "u" + i, URI.create("http://127.0.0.1:1"), weights[i], i, Map.of()));
        }
        return all;
    }

    static int[] counts(SelectionPolicy policy, List<Upstream> all, List<Upstream> candidates, int picks) {
        int[] counts = new int[all.size()];
        for (int i = 0; i < picks; i++) {
            counts[policy.pick(candidates, "client").index()]++;
        }
        return counts;
    }

    @Test
    void followsNginxSmoothSequence() {
        List<Upstream> all = pool(5, 1, 1);
        RoundRobin rr = new RoundRobin(all);
        StringBuilder picks = new StringBuilder();
        for (int i = 0; i < 21; i++) {
            picks.append(rr.pick(all, null).name()).append(' ');
        }
        assertEquals("u0 u0 u1 u0 u2 u0 u0 ".repeat(3), picks.toString());
    }

    @Test
    void sharesAreExactByWeight() {
        List<Upstream> all = pool(3, 2, 1);
        int[] counts = counts(new RoundRobin(all), all, all, 10_000);
        assertEquals(5000, counts[0], 1);
        assertEquals(3333, counts[1], 1);
        assertEquals(1667, counts[2], 1);
    }

    @Test
    void excludedUpstreamShareSpreadsByWeight() {
        List<Upstream> all = pool(3, 2, 1);
        int[] counts = counts(new RoundRobin(all), all, List.of(all.get(1), all.get(2)), 9000);
        assertEquals(0, counts[0]);
        assertEquals(6000, counts[1], 1);
        assertEquals(3000, counts[2], 1);

        // The heavy upstream's entries must not all fall to whichever peer follows it in the cycle.
        List<Upstream> skewed = pool(5, 1, 1);
        counts = counts(new RoundRobin(skewed), skewed, List.of(skewed.get(1), skewed.get(2)), 1000);
        assertEquals(500, counts[1], 1);
        assertEquals(500, counts[2], 1);
    }

    @Test
    void equalWeightsVisitEveryone() {
        List<Upstream> all = pool(1, 1, 1, 1);
        RoundRobin rr = new RoundRobin(all);
        for (int cycle = 0; cycle < 3; cycle++) {
            for (int i = 0; i < 4; i++) {
                assertEquals(i, rr.pick(all, null).index());
            }
        }
    }

    @Test
    void poolsLargerThanALongStillExclude() {
        int[] weights = new int[70];
        java.util.Arrays.fill(weights, 1);
        List<Upstream> all = pool(weights);
        List<Upstream> candidates = new ArrayList<>(all);
        candidates.remove(65);
        int[] counts = counts(new RoundRobin(all), all, candidates, 69 * 10);
        for (int i = 0; i < 70; i++) {
            assertEquals(i == 65 ? 0 : 10, counts[i], "u" + i);
        }
    }

    @Test
    void hugeWeightsAreScaledNotRejected() {
        List<Upstream> all = pool(100_003, 1);
        int[] counts = counts(new RoundRobin(all), all, all, RoundRobin.MAX_SEQUENCE);
        assertTrue(counts[1] >= 1, "light upstream still served");
        assertTrue(counts[0] > RoundRobin.MAX_SEQUENCE - 4, "heavy upstream keeps almost all");
    }

    @Test
    void concurrentPicksKeepExactTotals() throws Exception {
        List<Upstream> all = pool(3, 2, 1);
        RoundRobin rr = new RoundRobin(all);
        int[] all3 = concurrentCounts(rr, all);
        assertEquals(50_000, all3[0], 6);
        assertEquals(33_333, all3[1], 6);
        assertEquals(16_667, all3[2], 6);

        int[] without1 = concurrentCounts(rr, List.of(all.get(0), all.get(2)));
        assertEquals(75_000, without1[0], 6);
        assertEquals(0, without1[1]);
        assertEquals(25_000, without1[2], 6);
    }

    private static int[] concurrentCounts(SelectionPolicy policy, List<Upstream> candidates) throws Exception {
        int threads = 4;
        int perThread = 25_000;
        AtomicIntegerArray counts = new AtomicIntegerArray(3);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        counts.incrementAndGet(policy.pick(candidates, null).index());
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS); // rethrows anything a picker threw
            }
        } finally {
            pool.shutdownNow();
        }
        return new int[] {counts.get(0), counts.get(1), counts.get(2)};
    }
}
