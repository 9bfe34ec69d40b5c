package io.railyard.core.pipeline;

/** What the cache stage reports, so metrics can count it without the stage knowing about meters. */
public interface CacheStats {
    void hit(String network);

    void miss(String network);

    void coalesced(String network);
}
