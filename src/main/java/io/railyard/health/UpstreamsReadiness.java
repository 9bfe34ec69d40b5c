package io.railyard.health;

import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while every network has at least one healthy upstream; lists each upstream's state. */
@Readiness
@ApplicationScoped
public class UpstreamsReadiness implements HealthCheck {

    @Inject
    UpstreamPools pools;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("railyard-upstreams");
        boolean ready = true;
        for (UpstreamPool pool : pools.all().values()) {
            boolean any = false;
            for (Upstream u : pool.upstreams()) {
                any |= u.isHealthy();
                builder.withData(pool.network() + "/" + u.name(), u.isHealthy() ? "healthy" : "ejected: " + u.stateReason());
            }
            if (!any) {
                builder.withData(pool.network(), "no healthy upstream");
            }
            ready &= any;
        }
        return builder.status(ready).build();
    }
}
