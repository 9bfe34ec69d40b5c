package io.railyard.health;

import io.railyard.memory.HeapGuard;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * DOWN while the heap guard sheds new requests, so that a load balancer sends them to another replica; liveness
 * stays UP (a restart would not free memory any sooner, and would start the cache cold).
 */
@Readiness
@ApplicationScoped
public class HeapReadiness implements HealthCheck {

    @Inject
    HeapGuard heap;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("railyard-heap")
                .withData("overloaded", heap.isOverloaded())
                .withData("occupancyAfterGc", String.format("%.2f", heap.occupancy()))
                .status(!heap.isOverloaded())
                .build();
    }
}
