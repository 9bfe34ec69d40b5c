package io.railyard.upstream.select;

import io.railyard.upstream.SelectionPolicy;
import io.railyard.upstream.Upstream;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Sends each call to the candidate with the fewest in-flight calls per unit of weight, so slow nodes get less
 * traffic; ties are broken at random so that idle pools do not pile onto the first upstream.
 */
public final class LeastConnections implements SelectionPolicy {

    @Override
    public Upstream pick(List<Upstream> candidates, String clientKey) {
        Upstream best = null;
        long bestInFlight = 0;
        int ties = 0;
        for (Upstream u : candidates) {
            long inFlight = u.inFlight(); // read once: other event loops change it as we go
            // inFlight/weight compared by cross-multiplying, exact and free of floating point.
            int order = best == null ? -1 : Long.compare(inFlight * best.weight(), bestInFlight * u.weight());
            if (order < 0) {
                best = u;
                bestInFlight = inFlight;
                ties = 1;
            } else if (order == 0 && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                // Reservoir sampling: each of the k tied candidates ends up chosen with probability 1/k.
                best = u;
                bestInFlight = inFlight;
            }
        }
        return best;
    }
}
