package io.railyard.health;

import io.railyard.access.ClientPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Shows the rate-limit backend in the readiness data. Always UP: with Redis down the configured failure mode
 * already decides, and taking every replica out of service would turn a limiter outage into a full outage.
 */
@Readiness
@ApplicationScoped
public class RateLimitReadiness implements HealthCheck {

    @Inject
    ClientPolicy policy;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("railyard-rate-limit")
                .withData("backend", policy.backend())
                .withData("reachable", policy.backendAvailable())
                .up()
                .build();
    }
}
