package io.railyard.config;

/** How a network spreads calls over its healthy upstreams. Configured by its kebab-case name ({@code round-robin}), which SmallRye Config maps itself. */
public enum Routing {
    /** Smooth weighted round-robin. */
    ROUND_ROBIN,
    /** The upstream with the fewest calls in flight, ties broken at random. */
    LEAST_CONNECTIONS,
    /** Rendezvous hashing on the client address: a client keeps its upstream. */
    IP_HASH;

    /** The name configuration uses for it. */
    public String configName() {
        return ConfigNames.of(this);
    }
}
