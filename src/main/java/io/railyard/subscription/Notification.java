package io.railyard.subscription;

import java.nio.charset.StandardCharsets;

/**
 * The {@code result} of one {@code eth_subscription} message, as JSON text and as its UTF-8 bytes, encoded once for
 * every subscriber it goes to: with 10,000 subscribers a block's header would otherwise be copied into a new string
 * and encoded again 10,000 times. Immutable; the bytes are not to be written to.
 */
public final class Notification {

    private final String json;
    private final byte[] utf8;

    public Notification(String json) {
        this.json = json;
        this.utf8 = json.getBytes(StandardCharsets.UTF_8);
    }

    public String json() {
        return json;
    }

    /** The JSON's UTF-8 bytes, shared by every subscriber: read only. */
    public byte[] utf8() {
        return utf8;
    }
}
