package io.railyard.upstream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Recent behaviour of one upstream's live traffic for the status page: latency and error rate as exponentially
 * weighted moving averages (so the page shows now, not since startup), and the last error. Updated lock-free from
 * any event loop.
 */
public final class UpstreamStats {

    /** Weight of the newest call: about the last 50 calls dominate. */
    private static final double ALPHA = 0.04;

    private final AtomicLong latencyEwmaBits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    private final AtomicLong errorRateBits = new AtomicLong(Double.doubleToLongBits(0));
    private volatile String lastError;
    private volatile long lastErrorMillis;

    public void record(long nanos, boolean failed) {
        update(latencyEwmaBits, nanos / 1_000_000.0);
        update(errorRateBits, failed ? 1.0 : 0.0);
    }

    public void error(String message, long nowMillis) {
        lastError = message;
        lastErrorMillis = nowMillis;
    }

    private static void update(AtomicLong bits, double sample) {
        long current;
        long next;
        do {
            current = bits.get();
            double value = Double.longBitsToDouble(current);
            next = Double.doubleToLongBits(Double.isNaN(value) ? sample : value + ALPHA * (sample - value));
        } while (!bits.compareAndSet(current, next));
    }

    /** Moving average of call latency in milliseconds, NaN before the first call. */
    public double latencyEwmaMillis() {
        return Double.longBitsToDouble(latencyEwmaBits.get());
    }

    /** Moving share of calls that failed, 0 to 1. */
    public double errorRate() {
        return Double.longBitsToDouble(errorRateBits.get());
    }

    public String lastError() {
        return lastError;
    }

    public long lastErrorMillis() {
        return lastErrorMillis;
    }
}
