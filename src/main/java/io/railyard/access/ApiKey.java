package io.railyard.access;

import io.railyard.access.limit.Limit;

import java.util.Set;

/**
 * A configured client.
 *
 * @param name     the name used in logs and metrics (never the secret)
 * @param limit    its own quota
 * @param networks networks it may use, or null for all
 * @param rules    methods it may or may not call
 */
public record ApiKey(String name, Limit limit, Set<String> networks, MethodRules rules) {

    public boolean mayUse(String network) {
        return networks == null || networks.contains(network);
    }
}
