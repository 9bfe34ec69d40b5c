package io.railyard.health;

import io.railyard.memory.HeapGuard;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Alive while the process answers and has not run out of memory. Deliberately independent of upstreams:
 * restarting the gateway does not bring a dead node back, it only drops every client's connection.
 */
@Liveness
@ApplicationScoped
public class GatewayLiveness implements HealthCheck {

    @Inject
    HeapGuard heap;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("railyard")
                .withData("outOfMemory", heap.ranOutOfMemory())
                .status(!heap.ranOutOfMemory())
                .build();
    }
}
