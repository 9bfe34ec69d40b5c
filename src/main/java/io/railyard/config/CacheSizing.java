package io.railyard.config;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * How big the response cache may be, as a share of the heap it lives in. The default is a quarter of the maximum
 * heap; a configured bound above half of it is refused at startup. Measured at {@code -Xmx256m} (MemoryFloodIT):
 * with the cache full at a quarter (62 of 64 MiB), 73 MiB of heap was in use after a collection while 6,000 distinct
 * 32 KB answers went through without a failure; with the bound at the whole heap (the old fixed 256 MiB) the same
 * flood runs the heap out. Half leaves the rest of the gateway (answers in flight, buffers, metrics) and the
 * collector's headroom the other half.
 */
public final class CacheSizing {

    /** The default bound is the maximum heap divided by this. */
    public static final int DEFAULT_HEAP_DIVISOR = 4;
    /** A configured bound above the maximum heap divided by this is refused. */
    public static final int LIMIT_HEAP_DIVISOR = 2;

    private CacheSizing() {
    }

    /** The bound in bytes: the configured one, or a quarter of {@code maxHeap}. */
    public static long maxBytes(OptionalLong configured, long maxHeap) {
        return configured.orElse(maxHeap / DEFAULT_HEAP_DIVISOR);
    }

    /** One line naming the key when the configured bound cannot fit in {@code maxHeap}; empty when it can. */
    public static Optional<String> problem(OptionalLong configured, long maxHeap) {
        if (configured.isEmpty()) {
            return Optional.empty();
        }
        long bytes = configured.getAsLong();
        if (bytes <= 0) {
            return Optional.of("railyard.cache.max-bytes: must be greater than zero (was " + bytes + ")");
        }
        long limit = maxHeap / LIMIT_HEAP_DIVISOR;
        if (bytes > limit) {
            return Optional.of("railyard.cache.max-bytes: " + bytes + " is more than half the maximum heap ("
                    + mib(maxHeap) + " MiB), and the cache lives in the heap; use at most " + limit
                    + ", raise -Xmx, or leave the key unset for a quarter of the heap");
        }
        return Optional.empty();
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
