package io.railyard.config;

/** Where rate-limit buckets live. Configured by its kebab-case name ({@code memory}), which SmallRye Config maps itself. */
public enum RateLimitBackend {
    /** In this replica's memory. */
    MEMORY,
    /** In Redis, shared by every replica. */
    REDIS;

    /** The name configuration uses for it. */
    public String configName() {
        return ConfigNames.of(this);
    }
}
