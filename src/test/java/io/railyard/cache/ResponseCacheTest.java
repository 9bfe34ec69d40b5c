package io.railyard.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.jsonrpc.RpcAnswer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The byte-bounded store on its own: weights from answer sizes, exact byte accounting, expiry on a fake clock. */
class ResponseCacheTest {

    /** A Caffeine clock the test moves by hand: expiry is tested without sleeping. */
    static final class FakeTicker implements Ticker {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        @Override
        public long read() {
            return nanos.get();
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    private static CacheKey key(int i) {
        return CacheKey.of("mainnet", "eth_getBlockByNumber", ("[\"0x" + Integer.toHexString(i) + "\",false]").getBytes(StandardCharsets.UTF_8));
    }

    private static RpcAnswer answerOfSize(int resultBytes) {
        StringBuilder s = new StringBuilder(resultBytes).append('"');
        while (s.length() < resultBytes - 1) {
            s.append('a');
        }
        s.append('"');
        return RpcAnswer.result(s.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static long weight(CacheKey k, RpcAnswer a) {
        return ResponseCache.footprint(k, a);
    }

    /** Sum of the weights of the entries still present among those ever put (last value per key). */
    private static long presentWeight(ResponseCache cache, List<CacheKey> keys) {
        long sum = 0;
        for (CacheKey k : keys) {
            RpcAnswer a = cache.get(k);
            if (a != null) {
                sum += weight(k, a);
            }
        }
        return sum;
    }

    @Test
    void weightGrowsWithTheAnswerSize() {
        CacheKey k = key(1);
        RpcAnswer small = answerOfSize(10);
        RpcAnswer big = answerOfSize(10_000);
        assertEquals(9_990, big.byteSize() - small.byteSize(), "the weigher counts the stored answer's bytes");
        ResponseCache cache = new ResponseCache(1 << 20, Optional.empty(), Ticker.systemTicker());
        cache.put(k, small);
        assertEquals(weight(k, small), cache.bytes());
        cache.put(key(2), big);
        assertEquals(weight(k, small) + weight(key(2), big), cache.bytes());
    }

    @Test
    void byteBoundEvictsAndKeepsBytesUnderTheMaximum() {
        long maxBytes = 50_000;
        ResponseCache cache = new ResponseCache(maxBytes, Optional.empty(), Ticker.systemTicker());
        List<CacheKey> keys = new ArrayList<>();
        long inserted = 0;
        for (int i = 0; i < 200; i++) {
            CacheKey k = key(i);
            RpcAnswer a = answerOfSize(1_000);
            keys.add(k);
            cache.put(k, a);
            inserted += weight(k, a);
        }
        cache.cleanUp();
        assertTrue(inserted > 3 * maxBytes, "the test inserts well over the bound: " + inserted);
        assertTrue(cache.bytes() <= maxBytes, "bytes " + cache.bytes() + " over max " + maxBytes);
        assertTrue(cache.bytes() > 0, "a bounded cache still holds something");
        assertTrue(cache.evictions() > 0, "evictions counted");
        assertTrue(cache.size() < 200, "entries were dropped, not kept past the bound");
        assertEquals(presentWeight(cache, keys), cache.bytes(), "bytes() is the weight of exactly the entries present");
        assertEquals(200 - cache.evictions(), cache.size(), "every entry not present was evicted and counted once");
    }

    @Test
    void anAnswerLargerThanTheWholeBoundIsNotKept() {
        ResponseCache cache = new ResponseCache(10_000, Optional.empty(), Ticker.systemTicker());
        CacheKey small = key(1);
        cache.put(small, answerOfSize(100));
        cache.put(key(2), answerOfSize(50_000));
        cache.cleanUp();
        assertNull(cache.get(key(2)), "an answer over max-bytes cannot be held");
        assertTrue(cache.bytes() <= 10_000);
        assertEquals(presentWeight(cache, List.of(small, key(2))), cache.bytes());
        assertTrue(cache.evictions() >= 1);
    }

    @Test
    void replacingAnEntryCountsOnlyTheNewAnswer() {
        ResponseCache cache = new ResponseCache(1 << 20, Optional.empty(), Ticker.systemTicker());
        CacheKey k = key(7);
        RpcAnswer first = answerOfSize(500);
        RpcAnswer second = answerOfSize(3_000);
        RpcAnswer third = answerOfSize(20);
        cache.put(k, first);
        assertEquals(weight(k, first), cache.bytes());
        cache.put(k, second);
        cache.cleanUp();
        assertEquals(weight(k, second), cache.bytes(), "the replaced answer's bytes are subtracted");
        assertSame(second, cache.get(k));
        cache.put(k, third);
        cache.cleanUp();
        assertEquals(weight(k, third), cache.bytes());
        assertEquals(1, cache.size());
        assertEquals(0, cache.evictions(), "a replacement is not an eviction");
    }

    @Test
    void bytesStayExactAcrossReplacementsEvictionsAndInvalidation() {
        long maxBytes = 40_000;
        ResponseCache cache = new ResponseCache(maxBytes, Optional.empty(), Ticker.systemTicker());
        List<CacheKey> keys = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            keys.add(key(i));
        }
        java.util.Random random = new java.util.Random(42);
        for (int round = 0; round < 2_000; round++) {
            CacheKey k = keys.get(random.nextInt(keys.size()));
            cache.put(k, answerOfSize(50 + random.nextInt(3_000)));
            if (round % 97 == 0) {
                cache.cleanUp();
                assertEquals(presentWeight(cache, keys), cache.bytes(), "after round " + round);
                assertTrue(cache.bytes() <= maxBytes);
            }
        }
        cache.cleanUp();
        assertTrue(cache.evictions() > 0);
        assertEquals(presentWeight(cache, keys), cache.bytes());
        assertTrue(cache.bytes() <= maxBytes);

        cache.invalidateAll();
        cache.cleanUp();
        assertEquals(0, cache.bytes(), "nothing held, nothing counted");
        assertEquals(0, cache.size());
    }

    @Test
    void bytesStayExactUnderConcurrentPuts() throws Exception {
        long maxBytes = 100_000;
        ResponseCache cache = new ResponseCache(maxBytes, Optional.empty(), Ticker.systemTicker());
        List<CacheKey> keys = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            keys.add(key(i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int i = 0; i < 5_000; i++) {
                        cache.put(keys.get(r.nextInt(keys.size())), answerOfSize(20 + r.nextInt(2_000)));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        cache.cleanUp();
        assertTrue(cache.bytes() <= maxBytes, "bytes " + cache.bytes());
        assertEquals(presentWeight(cache, keys), cache.bytes(), "no put or removal was lost or counted twice");
    }

    @Test
    void withoutExpiryAnEntryStaysWhateverTheClockSays() {
        FakeTicker ticker = new FakeTicker();
        ResponseCache cache = new ResponseCache(1 << 20, Optional.empty(), ticker);
        cache.put(key(1), answerOfSize(100));
        ticker.advance(Duration.ofDays(3650));
        cache.cleanUp();
        assertNotNull(cache.get(key(1)));
    }

    @Test
    void optionalExpiryDropsAnEntryOnceTheFakeClockPassesIt() {
        FakeTicker ticker = new FakeTicker();
        ResponseCache cache = new ResponseCache(1 << 20, Optional.of(Duration.ofMinutes(10)), ticker);
        CacheKey k = key(1);
        RpcAnswer a = answerOfSize(300);
        cache.put(k, a);

        ticker.advance(Duration.ofMinutes(9).plusSeconds(59));
        assertSame(a, cache.get(k), "present before expiry");
        assertEquals(weight(k, a), cache.bytes());

        // A later write of another key does not extend this one.
        cache.put(key(2), answerOfSize(10));
        ticker.advance(Duration.ofSeconds(2));
        assertNull(cache.get(k), "gone after the fake clock passed 10 minutes");
        cache.cleanUp();
        assertNotNull(cache.get(key(2)), "a younger entry is still there");
        assertEquals(weight(key(2), cache.get(key(2))), cache.bytes(), "the expired entry's bytes are given back");

        ticker.advance(Duration.ofMinutes(10));
        cache.cleanUp();
        assertNull(cache.get(key(2)));
        assertEquals(0, cache.bytes());
        assertEquals(0, cache.size());
    }

    @Test
    void expiryCountsFromTheLastWrite() {
        FakeTicker ticker = new FakeTicker();
        ResponseCache cache = new ResponseCache(1 << 20, Optional.of(Duration.ofSeconds(60)), ticker);
        CacheKey k = key(3);
        cache.put(k, answerOfSize(100));
        ticker.advance(Duration.ofSeconds(50));
        RpcAnswer again = answerOfSize(200);
        cache.put(k, again);
        ticker.advance(Duration.ofSeconds(50));
        assertSame(again, cache.get(k), "rewritten 50 s ago: still within 60 s");
        ticker.advance(Duration.ofSeconds(11));
        assertNull(cache.get(k));
        cache.cleanUp();
        assertEquals(0, cache.bytes());
    }

    /**
     * The byte bound is only as good as the weigher: the heap that a full cache really holds, measured after a
     * collection, is what {@code bytes()} says, within 10 % over and never more. Small answers (where the per-entry
     * overhead dominates) and 4 KB ones, each key and method a string of its own as a parsed request makes them.
     * Measured as the heap given back when the filled cache is dropped; this JVM is shared with other tests whose
     * leftovers may be freed meanwhile, so each size gets three tries and one must fall in the band.
     */
    @Test
    void theWeigherCountsWhatTheEntriesReallyHoldOnTheHeap() {
        for (int resultBytes : new int[]{66, 4096}) {
            int entries = resultBytes < 1000 ? 40_000 : 4_000;
            List<String> tries = new ArrayList<>();
            boolean inBand = false;
            for (int attempt = 0; attempt < 3 && !inBand; attempt++) {
                ResponseCache cache = new ResponseCache(Long.MAX_VALUE, Optional.empty(), Ticker.systemTicker());
                for (int i = 0; i < entries; i++) {
                    CacheKey k = CacheKey.of("mainnet", new String("eth_call".toCharArray()),
                            ("[{\"to\":\"0x" + "ab".repeat(20) + "\",\"data\":\"0x" + Integer.toHexString(i) + "\"},\"0x10\"]")
                                    .getBytes(StandardCharsets.UTF_8));
                    cache.put(k, answerOfSize(resultBytes));
                }
                cache.cleanUp();
                assertEquals(entries, cache.size());
                long weighed = cache.bytes();
                long full = usedHeapAfterGc();
                cache.invalidateAll();
                cache.cleanUp();
                long measured = full - usedHeapAfterGc();
                double ratio = (double) measured / weighed;
                tries.add(String.format("heap %d of weigher %d (%.2f)", measured, weighed, ratio));
                inBand = ratio >= 0.60 && ratio <= 1.10;
            }
            System.out.printf("[footprint] %d entries of %d-byte answers: %s%n", entries, resultBytes, tries);
            assertTrue(inBand, resultBytes + "-byte answers: the heap held outside 0.60-1.10 of what the weigher counts: " + tries);
        }
    }

    private static long usedHeapAfterGc() {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
