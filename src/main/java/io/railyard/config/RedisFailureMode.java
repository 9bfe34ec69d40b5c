package io.railyard.config;

/**
 * What the Redis rate limiter does while Redis cannot be reached.
 * A {@link ConfigChoice}: configured as {@code fail-open}, and so on.
 */
public enum RedisFailureMode implements ConfigChoice {
    /** Admit the request. */
    FAIL_OPEN,
    /** Refuse it with 503. */
    FAIL_CLOSED
}
