package io.railyard.access;

import io.railyard.config.IpRange;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the client's address behind trusted proxies: {@code X-Forwarded-For} is read from the right, skipping
 * trusted proxies, and the first untrusted hop is the client. Reading from the left (as proxyd does) would let any
 * client claim any address by sending its own header.
 */
public final class ClientAddress {

    private final List<IpRange> trusted;

    public ClientAddress(List<String> trustedRanges) {
        this.trusted = new ArrayList<>();
        for (String r : trustedRanges) {
            IpRange range = IpRange.parse(r);
            if (range == null) {
                throw new IllegalArgumentException("not an IP address or CIDR range: " + r);
            }
            trusted.add(range);
        }
    }

    /**
     * @param peer          the address of the TCP peer
     * @param forwardedFor  the {@code X-Forwarded-For} header, or null
     * @return the address to treat as the client's
     */
    public String resolve(String peer, String forwardedFor) {
        if (forwardedFor == null || trusted.isEmpty() || !isTrusted(peer)) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            byte[] address = IpRange.literal(hop);
            if (address == null) {
                // A hop we cannot read was written by someone we do not trust: stop at the last one we could.
                return i == hops.length - 1 ? peer : hops[i + 1].trim();
            }
            if (!isTrusted(address)) {
                return hop;
            }
        }
        return hops[0].trim();
    }

    private boolean isTrusted(String address) {
        byte[] bytes = IpRange.literal(address);
        return bytes != null && isTrusted(bytes);
    }

    private boolean isTrusted(byte[] address) {
        for (IpRange r : trusted) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
