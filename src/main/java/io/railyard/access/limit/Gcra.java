package io.railyard.access.limit;

/**
 * The generic cell rate algorithm: a token bucket kept as one number, the theoretical arrival time (TAT) of the
 * next request. One number means a lock-free compare-and-set locally and a five-line Lua script in Redis.
 */
public final class Gcra {

    private Gcra() {
    }

    /** The outcome of one check: the new TAT to store when admitted, or how long to wait. */
    public record Step(boolean allowed, long newTat, long retryAfterNanos, long remaining) {
    }

    /**
     * @param tat   the stored TAT (any value below {@code now} means a full bucket)
     * @param now   the current time in nanoseconds
     * @param cost  units this request costs
     */
    public static Step check(long tat, long now, Limit limit, int cost) {
        long interval = limit.intervalNanos();
        long capacity = (long) (limit.burst() * interval);
        long base = Math.max(tat, now);
        long newTat = base + cost * interval;
        long allowAt = newTat - capacity;
        if (allowAt > now) {
            return new Step(false, tat, allowAt - now, 0);
        }
        long remaining = (capacity - (newTat - now)) / interval;
        return new Step(true, newTat, 0, Math.max(0, remaining));
    }
}
