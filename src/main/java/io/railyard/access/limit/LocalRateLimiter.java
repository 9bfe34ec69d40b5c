package io.railyard.access.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Buckets in this replica's memory: one AtomicLong (the GCRA TAT) per client, updated with compare-and-set. */
public final class LocalRateLimiter implements RateLimiter {

    private final LongSupplier nanoTime;
    private final Cache<String, AtomicLong> buckets;

    /** @param nanoTime the clock (System::nanoTime in production; tests move it by hand) */
    public LocalRateLimiter(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        // An idle bucket is full again long before it expires, so forgetting it changes nothing.
        this.buckets = Caffeine.newBuilder()
                .expireAfterAccess(Duration.ofMinutes(10))
                .maximumSize(1_000_000)
                .executor(Runnable::run)
                .build();
    }

    @Override
    public Future<Decision> acquire(String bucket, Limit limit, int cost) {
        return Future.succeededFuture(decide(bucket, limit, cost));
    }

    public Decision decide(String bucket, Limit limit, int cost) {
        if (limit.unlimited()) {
            return Decision.allow(Long.MAX_VALUE);
        }
        AtomicLong tat = buckets.get(bucket, k -> new AtomicLong(Long.MIN_VALUE));
        while (true) {
            long now = nanoTime.getAsLong();
            long current = tat.get();
            Gcra.Step step = Gcra.check(current, now, limit, cost);
            if (!step.allowed()) {
                return Decision.refuse(step.retryAfterNanos());
            }
            if (tat.compareAndSet(current, step.newTat())) {
                return Decision.allow(step.remaining());
            }
        }
    }
}
