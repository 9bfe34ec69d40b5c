package io.railyard.upstream;

import io.railyard.config.Routing;

import java.util.List;

/** Chooses the upstream for one call among the candidates that may serve it. */
public interface SelectionPolicy {

    /**
     * @param candidates non-empty, in pool order, a subset of the upstreams the policy was created for
     * @param clientKey  the client's identity (its address or API key name), used by ip-hash
     * @return one of the candidates
     */
    Upstream pick(List<Upstream> candidates, String clientKey);

    /**
     * Makes a network's policy from its configured {@link Routing}. A bean (the policies live in
     * {@code upstream.select}, which depends on this package, not the other way round).
     */
    interface Factory {
        SelectionPolicy create(Routing routing, List<Upstream> all);
    }
}
