package io.railyard.upstream;

import io.railyard.metrics.Meters;
import org.jboss.logging.Logger;

import java.time.Clock;

/**
 * The one way an upstream is ejected, whoever finds it unfit (a probe verdict, or its circuit breaker opening under
 * live traffic): logged, counted under its reason ({@link HealthPolicy#EJECTION_REASONS}) and marked, in that order,
 * so that whoever sees the upstream ejected can also find the line.
 */
public final class Ejections {

    private static final Logger LOG = Logger.getLogger(Ejections.class);

    private final Meters meters;
    private final Clock clock;

    Ejections(Meters meters, Clock clock) {
        this.meters = meters;
        this.clock = clock;
    }

    /** @param reason one of {@link HealthPolicy#EJECTION_REASONS}; {@code detail} says why in words */
    public void eject(Upstream upstream, String reason, String detail) {
        LOG.warnf("%s ejected: %s", upstream, detail);
        meters.ejection(upstream.network(), upstream.name(), reason);
        upstream.markEjected(detail, clock.millis());
    }
}
