package io.railyard.core.pipeline;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * When a client request must have its answer, on the gateway's ticker (so a test can move time instead of waiting).
 *
 * @param atNanos the ticker's reading by which the answer is due
 */
public record Deadline(long atNanos, Ticker ticker) {

    public static Deadline after(Ticker ticker, long nanos) {
        return new Deadline(ticker.read() + nanos, ticker);
    }

    public long remainingMillis() {
        return Math.max(0, (atNanos - ticker.read()) / 1_000_000);
    }
}
