package io.railyard.access;

/**
 * Who sent a request.
 *
 * @param address the client address (behind trusted proxies, the rightmost untrusted hop)
 * @param key     the API key it presented, or null
 */
public record ClientIdentity(String address, ApiKey key) {

    /** The bucket its requests are paid from. */
    public String bucket() {
        return key != null ? "key:" + key.name() : "ip:" + address;
    }

    /** Name for logs and metrics: the key's name, never its secret. */
    public String name() {
        return key != null ? key.name() : address;
    }
}
