package io.railyard.upstream.select;

import io.railyard.upstream.Upstream;

import java.util.List;

/** Chooses the upstream for one call among the candidates that may serve it. */
public interface SelectionPolicy {

    /**
     * @param candidates non-empty, in pool order, a subset of the upstreams the policy was created for
     * @param clientKey  the client's identity (its address or API key name), used by ip-hash
     * @return one of the candidates
     */
    Upstream pick(List<Upstream> candidates, String clientKey);
}
