package io.railyard.config;

/** What the Redis rate limiter does while Redis cannot be reached. Configured by its kebab-case name ({@code fail-open}), which SmallRye Config maps itself. */
public enum RedisFailureMode {
    /** Admit the request. */
    FAIL_OPEN,
    /** Refuse it with 503. */
    FAIL_CLOSED;

    /** The name configuration uses for it. */
    public String configName() {
        return ConfigNames.of(this);
    }
}
