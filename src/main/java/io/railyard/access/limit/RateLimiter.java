package io.railyard.access.limit;

import io.vertx.core.Future;

/** Decides whether a client may spend {@code cost} units of its limit now. */
public interface RateLimiter {

    /**
     * @param bucket who pays: {@code key:<name>} or {@code ip:<address>}
     */
    Future<Decision> acquire(String bucket, Limit limit, int cost);

    /** Whether the backend answers (always true for the local one). */
    default boolean available() {
        return true;
    }

    default void close() {
    }
}
