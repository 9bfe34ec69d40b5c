package io.railyard.config;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * How the heap is shared out (docs/memory.md): the response cache and the upstream answers being received each get
 * a quarter of the maximum heap unless configured, and a configured cache bound above half of it is refused at
 * startup. Measured at {@code -Xmx256m} (MemoryFloodIT): with the cache full at a quarter (62 of 64 MiB), 73 MiB of
 * heap was in use after a collection while 6,000 distinct 32 KB answers went through without a failure; with the
 * bound at the whole heap (the old fixed 256 MiB) the same flood runs the heap out. Half leaves the rest of the
 * gateway (answers in flight, buffers, metrics) and the collector's headroom the other half.
 */
public final class HeapShares {

    /** A share left unset is the maximum heap divided by this. */
    public static final int DEFAULT_HEAP_DIVISOR = 4;
    /** A configured cache bound above the maximum heap divided by this is refused. */
    public static final int CACHE_LIMIT_HEAP_DIVISOR = 2;

    private HeapShares() {
    }

    /** The configured share in bytes, or a quarter of {@code maxHeap}. */
    public static long orQuarterOfHeap(OptionalLong configured, long maxHeap) {
        return configured.orElse(maxHeap / DEFAULT_HEAP_DIVISOR);
    }

    /**
     * One line naming the key when the configured cache bound cannot fit in {@code maxHeap}; empty when it can (or
     * is unset). That it is positive is checked with the other numbers.
     */
    public static Optional<String> cacheBoundProblem(OptionalLong configured, long maxHeap) {
        long limit = maxHeap / CACHE_LIMIT_HEAP_DIVISOR;
        if (configured.isEmpty() || configured.getAsLong() <= limit) {
            return Optional.empty();
        }
        return Optional.of("railyard.cache.max-bytes: " + configured.getAsLong() + " is more than half the maximum heap ("
                + mib(maxHeap) + " MiB), and the cache lives in the heap; use at most " + limit
                + ", raise -Xmx, or leave the key unset for a quarter of the heap");
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
