package io.railyard.access;

import io.railyard.config.IpRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientAddressTest {

    private final ClientAddress behindLb = new ClientAddress(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    @Test
    void withoutTrustedProxiesTheHeaderIsIgnored() {
        ClientAddress none = new ClientAddress(List.of());
        assertEquals("203.0.113.9", none.resolve("203.0.113.9", "1.2.3.4"));
    }

    @Test
    void spoofedHeaderFromAnUntrustedPeerIsIgnored() {
        assertEquals("203.0.113.9", behindLb.resolve("203.0.113.9", "1.2.3.4, 10.0.0.1"));
    }

    @Test
    void rightmostUntrustedHopIsTheClient() {
        // The client prepended a fake address; the load balancer appended the real one.
        assertEquals("198.51.100.4", behindLb.resolve("10.1.2.3", "6.6.6.6, 198.51.100.4"));
        assertEquals("198.51.100.4", behindLb.resolve("10.1.2.3", "6.6.6.6, 198.51.100.4, 192.168.1.7, 10.9.9.9"));
        assertEquals("2001:db8::1", behindLb.resolve("fd12::1", "2001:db8::1"));
    }

    @Test
    void allHopsTrustedMeansTheLeftmostIsTheClient() {
        assertEquals("10.0.0.5", behindLb.resolve("10.1.2.3", "10.0.0.5, 10.0.0.6"));
    }

    @Test
    void unreadableHopsAreNeverTakenAsTheClient() {
        assertEquals("198.51.100.4", behindLb.resolve("10.1.2.3", "evil.example, 198.51.100.4"));
        assertEquals("10.1.2.3", behindLb.resolve("10.1.2.3", "not-an-ip"));
    }

    @Test
    void rangesAreValidatedWithoutNameLookups() {
        assertTrue(isValidRange("10.0.0.0/8"));
        assertTrue(isValidRange("::1"));
        assertFalse(isValidRange("10.0.0.0/33"));
        assertFalse(isValidRange("localhost"));
        assertFalse(isValidRange("10.0.0"));
        assertThrows(IllegalArgumentException.class, () -> new ClientAddress(List.of("example.com")));
    }

    private static boolean isValidRange(String range) {
        return IpRange.parse(range) != null;
    }
}
