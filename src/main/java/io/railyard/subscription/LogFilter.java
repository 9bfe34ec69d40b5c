package io.railyard.subscription;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A {@code logs} subscription's filter as geth accepts it: {@code address} one address or a list (any of them),
 * {@code topics} a list of positions, each null (anything), one topic or a list (any of them). A log matches when
 * its address is listed (or none is) and each position's topic matches; a log with fewer topics than positions
 * given does not match.
 *
 * @param addresses lower-case addresses, empty for any
 * @param topics    per position the lower-case topics allowed, an empty set for any
 */
public record LogFilter(Set<String> addresses, List<Set<String>> topics) {

    /** Most topic positions an event log can have (LOG0 to LOG4). */
    private static final int MAX_TOPICS = 4;

    public static final LogFilter ANY = new LogFilter(Set.of(), List.of());

    /** Thrown with a message for the client when a filter cannot be read. */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** The filter {@code eth_subscribe("logs", filter)} names; null or absent means every log. */
    public static LogFilter parse(Object filter) throws Invalid {
        if (filter == null) {
            return ANY;
        }
        if (!(filter instanceof JsonObject object)) {
            throw new Invalid("the logs filter must be an object with address and topics");
        }
        for (String field : object.fieldNames()) {
            if (!field.equals("address") && !field.equals("topics")) {
                // geth refuses fromBlock/toBlock on a subscription: it follows the head, it does not look back.
                throw new Invalid("a logs subscription takes only address and topics, not " + field);
            }
        }
        Set<String> addresses = new HashSet<>();
        Object address = object.getValue("address");
        if (address instanceof String one) {
            addresses.add(hex(one, 20, "address"));
        } else if (address instanceof JsonArray many) {
            for (Object a : many) {
                if (!(a instanceof String s)) {
                    throw new Invalid("address must be an address or a list of addresses");
                }
                addresses.add(hex(s, 20, "address"));
            }
        } else if (address != null) {
            throw new Invalid("address must be an address or a list of addresses");
        }
        List<Set<String>> topics = new ArrayList<>();
        Object given = object.getValue("topics");
        if (given instanceof JsonArray positions) {
            if (positions.size() > MAX_TOPICS) {
                throw new Invalid("at most " + MAX_TOPICS + " topic positions (was " + positions.size() + ")");
            }
            for (Object position : positions) {
                Set<String> allowed = new HashSet<>();
                if (position instanceof String one) {
                    allowed.add(hex(one, 32, "topic"));
                } else if (position instanceof JsonArray many) {
                    for (Object t : many) {
                        if (t == null) {
                            // A null among alternatives makes the position match anything, as in geth.
                            allowed.clear();
                            break;
                        }
                        if (!(t instanceof String s)) {
                            throw new Invalid("a topic must be a 32-byte hex string, null or a list of them");
                        }
                        allowed.add(hex(s, 32, "topic"));
                    }
                } else if (position != null) {
                    throw new Invalid("a topic must be a 32-byte hex string, null or a list of them");
                }
                topics.add(Set.copyOf(allowed));
            }
        } else if (given != null) {
            throw new Invalid("topics must be a list");
        }
        return new LogFilter(Set.copyOf(addresses), List.copyOf(topics));
    }

    private static String hex(String value, int bytes, String what) throws Invalid {
        if (value.length() != 2 + 2 * bytes || !value.startsWith("0x")) {
            throw new Invalid(what + " must be 0x and " + 2 * bytes + " hex digits");
        }
        for (int i = 2; i < value.length(); i++) {
            char c = value.charAt(i);
            // ASCII only: Character.digit also takes other scripts' digits, which no node would match.
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                throw new Invalid(what + " must be 0x and " + 2 * bytes + " hex digits");
            }
        }
        return value.toLowerCase(Locale.ROOT);
    }

    public boolean matches(JsonObject log) {
        if (!addresses.isEmpty()) {
            String address = log.getString("address");
            if (address == null || !addresses.contains(address.toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        if (topics.isEmpty()) {
            return true;
        }
        JsonArray logTopics = log.getJsonArray("topics");
        if (logTopics == null || logTopics.size() < topics.size()) {
            return false;
        }
        for (int i = 0; i < topics.size(); i++) {
            Set<String> allowed = topics.get(i);
            if (!allowed.isEmpty() && !allowed.contains(logTopics.getString(i).toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        return true;
    }
}
