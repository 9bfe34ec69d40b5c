package io.railyard.config;

/**
 * Where rate-limit buckets live.
 * A {@link ConfigChoice}: configured as {@code memory}, and so on.
 */
public enum RateLimitBackend implements ConfigChoice {
    /** In this replica's memory. */
    MEMORY,
    /** In Redis, shared by every replica. */
    REDIS
}
