package io.railyard.cache;

/** What a cached answer is stored under: the network, the method and the canonical params. */
public record CacheKey(String network, String method, String canonicalParams) {

    /** @return the key, or null when the params are not valid JSON (such a request is never cached) */
    public static CacheKey of(String network, String method, byte[] params) {
        String canonical = CanonicalJson.of(params);
        return canonical == null ? null : new CacheKey(network, method, canonical);
    }

    int weight() {
        return 64 + 2 * (network.length() + method.length() + canonicalParams.length());
    }
}
