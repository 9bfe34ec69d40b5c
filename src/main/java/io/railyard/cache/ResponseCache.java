package io.railyard.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.jsonrpc.RpcAnswer;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Stores answers that can never change, bounded by their size in bytes rather than by count (one block with its
 * transactions weighs as much as thousands of chain ids). Which answers may be stored is decided elsewhere
 * ({@code evm.CacheRules}); this class only keeps them.
 */
public final class ResponseCache {

    /**
     * What one entry costs besides its key's and answer's own bytes: Caffeine's node (links, weight, times), the
     * ConcurrentHashMap node and table slot behind it, the answer object and its array header, the frequency
     * sketch's share. Checked against a heap measurement in ResponseCacheTest.
     */
    static final int ENTRY_OVERHEAD = 120;

    private final Cache<CacheKey, RpcAnswer> store;
    private final AtomicLong bytes = new AtomicLong();
    private final LongAdder evictions = new LongAdder();
    private final long maxBytes;
    /** False while the gateway is short of memory: nothing new is stored. */
    private volatile boolean admitting = true;

    public ResponseCache(long maxBytes, Optional<Duration> expireAfterWrite, Ticker ticker) {
        this.maxBytes = maxBytes;
        Caffeine<CacheKey, RpcAnswer> builder = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher(ResponseCache::footprint)
                .ticker(ticker)
                // Maintenance on the calling thread keeps the byte count exact without a background pool.
                .executor(Runnable::run)
                .removalListener((CacheKey k, RpcAnswer v, RemovalCause cause) -> {
                    if (k != null && v != null) {
                        bytes.addAndGet(-footprint(k, v));
                    }
                    if (cause.wasEvicted()) {
                        evictions.increment();
                    }
                });
        expireAfterWrite.ifPresent(builder::expireAfterWrite);
        this.store = builder.build();
    }

    public RpcAnswer get(CacheKey key) {
        return store.getIfPresent(key);
    }

    public void put(CacheKey key, RpcAnswer answer) {
        if (!admitting) {
            return;
        }
        // A replaced answer is subtracted by the removal listener.
        store.put(key, answer);
        bytes.addAndGet(footprint(key, answer));
    }

    /** The heap bytes one entry holds, as the byte bound counts them. */
    public static int footprint(CacheKey key, RpcAnswer answer) {
        return ENTRY_OVERHEAD + key.weight() + answer.byteSize();
    }

    /**
     * While {@code short}, stores nothing new and holds at most half its bound (evicting down to it now), so that
     * the heap it gives back goes to the requests in flight; afterwards, the full bound again.
     */
    public void shortOfMemory(boolean isShort) {
        admitting = !isShort;
        store.policy().eviction().ifPresent(e -> e.setMaximum(isShort ? maxBytes / 2 : maxBytes));
    }

    /** The bound in bytes now (half the configured one while short of memory). */
    public long maxBytes() {
        return store.policy().eviction().map(e -> e.getMaximum()).orElse(maxBytes);
    }

    /** Bytes held now, as the weigher counts them. */
    public long bytes() {
        return bytes.get();
    }

    public long evictions() {
        return evictions.sum();
    }

    public long size() {
        return store.estimatedSize();
    }

    /** Runs pending evictions now (tests and metrics want exact figures). */
    public void cleanUp() {
        store.cleanUp();
    }

    public void invalidateAll() {
        store.invalidateAll();
    }
}
