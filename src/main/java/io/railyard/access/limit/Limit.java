package io.railyard.access.limit;

/**
 * A rate limit: {@code rate} cost units per second, with room for {@code burst} units at once.
 * A rate of 0 means unlimited.
 */
public record Limit(double rate, double burst) {

    public static final Limit UNLIMITED = new Limit(0, 0);

    public static Limit of(double rate, Double burst) {
        return rate <= 0 ? UNLIMITED : new Limit(rate, burst != null ? burst : Math.max(1, rate * 2));
    }

    public boolean unlimited() {
        return rate <= 0;
    }

    /** Nanoseconds one unit takes to come back. */
    public long intervalNanos() {
        return (long) (1_000_000_000L / rate);
    }

    /** Seconds an empty bucket takes to fill: the window of the RateLimit-Policy header. */
    public long windowSeconds() {
        return Math.max(1, (long) Math.ceil(burst / rate));
    }
}
