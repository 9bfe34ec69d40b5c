package io.railyard.upstream.select;

import io.railyard.upstream.Upstream;

import java.util.List;

/** Maps a network's configured {@code routing} name to its policy, so configuration errors name the valid choices. */
public final class SelectionPolicies {

    public static final List<String> NAMES = List.of("round-robin", "least-connections", "ip-hash");

    private SelectionPolicies() {
    }

    public static SelectionPolicy create(String routing, List<Upstream> all) {
        return switch (routing == null ? "" : routing) {
            case "round-robin" -> new RoundRobin(all);
            case "least-connections" -> new LeastConnections();
            case "ip-hash" -> new IpHash(all);
            default -> throw new IllegalArgumentException(
                    "unknown routing '" + routing + "', expected one of: " + String.join(", ", NAMES));
        };
    }
}
