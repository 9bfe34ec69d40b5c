package io.railyard.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * The configured API keys, looked up by the SHA-256 of the presented secret, so configuration may hold hashes
 * only and a lookup never compares secrets character by character.
 */
public final class ApiKeys {

    private final Map<String, ApiKey> byHash = new HashMap<>();

    public void add(String sha256Hex, ApiKey key) {
        byHash.put(sha256Hex.toLowerCase(Locale.ROOT), key);
    }

    /** The key whose secret this is, or null. */
    public ApiKey find(String secret) {
        return secret == null || secret.isEmpty() ? null : byHash.get(sha256Hex(secret));
    }

    public boolean isEmpty() {
        return byHash.isEmpty();
    }

    public static String sha256Hex(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public static boolean isSha256Hex(String text) {
        return text != null && text.matches("[0-9a-fA-F]{64}");
    }
}
