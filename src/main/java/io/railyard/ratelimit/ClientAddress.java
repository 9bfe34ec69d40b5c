package io.railyard.ratelimit;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds the client's address behind trusted proxies: {@code X-Forwarded-For} is read from the right, skipping
 * trusted proxies, and the first untrusted hop is the client. Reading from the left (as proxyd does) would let any
 * client claim any address by sending its own header.
 */
public final class ClientAddress {

    private static final Pattern IP_LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

    private final List<Range> trusted;

    public ClientAddress(List<String> trustedRanges) {
        this.trusted = new ArrayList<>();
        for (String r : trustedRanges) {
            Range range = Range.parse(r);
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
            byte[] address = literal(hop);
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
        byte[] bytes = literal(address);
        return bytes != null && isTrusted(bytes);
    }

    private boolean isTrusted(byte[] address) {
        for (Range r : trusted) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }

    public static boolean isValidRange(String range) {
        return Range.parse(range) != null;
    }

    /** Parses an IP literal without ever resolving a host name (InetAddress would, for anything else). */
    static byte[] literal(String text) {
        if (text == null || text.isEmpty() || text.length() > 45) {
            return null;
        }
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (!IP_LITERAL.matcher(t).matches() || (t.indexOf(':') < 0 && t.chars().filter(c -> c == '.').count() != 3)) {
            return null;
        }
        try {
            return InetAddress.getByName(t).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private record Range(byte[] network, int prefix) {
        static Range parse(String text) {
            if (text == null) {
                return null;
            }
            String t = text.trim();
            int slash = t.indexOf('/');
            byte[] address = literal(slash < 0 ? t : t.substring(0, slash));
            if (address == null) {
                return null;
            }
            int prefix = address.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(t.substring(slash + 1));
                } catch (NumberFormatException e) {
                    return null;
                }
                if (prefix < 0 || prefix > address.length * 8) {
                    return null;
                }
            }
            return new Range(address, prefix);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }
    }
}
