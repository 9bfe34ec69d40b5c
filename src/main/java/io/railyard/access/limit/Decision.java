package io.railyard.access.limit;

/**
 * The answer of a rate limiter for one request.
 *
 * @param allowed          whether the request may go on
 * @param retryAfterNanos  when refused, time until the same request would be admitted
 * @param remaining        units left after this request (for the RateLimit header)
 * @param backendDown      true when the shared backend could not be asked and the failure mode decided
 */
public record Decision(boolean allowed, long retryAfterNanos, long remaining, boolean backendDown) {

    public static Decision allow(long remaining) {
        return new Decision(true, 0, remaining, false);
    }

    public static Decision refuse(long retryAfterNanos) {
        return new Decision(false, retryAfterNanos, 0, false);
    }

    /** Whole seconds for a Retry-After header, at least 1. */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfterNanos + 999_999_999L) / 1_000_000_000L);
    }
}
