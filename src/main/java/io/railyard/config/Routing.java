package io.railyard.config;

/**
 * How a network spreads calls over its healthy upstreams.
 * A {@link ConfigChoice}: configured as {@code round-robin}, and so on.
 */
public enum Routing implements ConfigChoice {
    /** Smooth weighted round-robin. */
    ROUND_ROBIN,
    /** The upstream with the fewest calls in flight, ties broken at random. */
    LEAST_CONNECTIONS,
    /** Rendezvous hashing on the client address: a client keeps its upstream. */
    IP_HASH
}
