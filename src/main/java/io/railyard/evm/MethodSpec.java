package io.railyard.evm;

import java.util.Set;

/**
 * What the gateway knows about one JSON-RPC method.
 *
 * @param name       the method name as the client sent it (also for unknown methods)
 * @param cacheRule  when an answer may be cached
 * @param blockParam index in the positional params of the block parameter (number, tag, hash or EIP-1898
 *                   object), or -1 when the method has none
 * @param traits     side effects, retry and stickiness properties
 * @param known      false for a method not in {@link MethodCatalog}: treated as an uncached, retryable read
 */
public record MethodSpec(String name, CacheRule cacheRule, int blockParam, Set<Trait> traits, boolean known) {

    /** Metric tag value for unknown methods, so clients cannot create unbounded tag values. */
    public static final String OTHER = "other";

    public MethodSpec {
        traits = Set.copyOf(traits);
    }

    public boolean has(Trait trait) {
        return traits.contains(trait);
    }

    /** Whether a failed try may be sent again to another upstream. */
    public boolean retryable() {
        return !traits.contains(Trait.NOT_RETRYABLE);
    }

    /** The {@code method} tag for metrics: the name for known methods, {@value #OTHER} for the rest. */
    public String metricTag() {
        return known ? name : OTHER;
    }
}
