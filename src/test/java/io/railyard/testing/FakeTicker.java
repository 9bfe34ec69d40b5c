package io.railyard.testing;

import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker a test moves by hand, so that time-dependent logic is tested without waiting (as Caffeine's tests do). */
public final class FakeTicker implements Ticker {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long read() {
        return nanos.get();
    }

    public FakeTicker advance(Duration by) {
        nanos.addAndGet(by.toNanos());
        return this;
    }
}
