package io.railyard.gateway;

/** What the cache stage reports, so metrics can count it without the stage knowing about meters. */
interface CacheStats {
    void hit(String network);

    void miss(String network);

    void coalesced(String network);

    CacheStats NONE = new CacheStats() {
        @Override
        public void hit(String network) {
        }

        @Override
        public void miss(String network) {
        }

        @Override
        public void coalesced(String network) {
        }
    };
}
