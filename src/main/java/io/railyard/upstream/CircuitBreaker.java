package io.railyard.upstream;

import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.vertx.core.Future;
import jakarta.enterprise.util.TypeLiteral;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One upstream's circuit breaker on live traffic, a SmallRye Fault Tolerance guard. Only failures that are the
 * node's fault count (timeouts, connection errors, 5xx, 429, garbage); a node's JSON-RPC error is an answer, and a
 * client hanging up is nobody's failure. The breaker runs on the calling event loop (no thread offload).
 */
public final class CircuitBreaker {

    private static final TypeLiteral<CompletionStage<Object>> ANSWER_STAGE = new TypeLiteral<>() {
    };

    private final String name;
    private final Upstream upstream;
    private final TypedGuard<CompletionStage<Object>> guard;

    /**
     * @param onStateChange told of every transition (the health checker ejects on OPEN)
     */
    public CircuitBreaker(Upstream upstream, int requestVolume, double failureRatio, Duration delay,
                          Consumer<CircuitBreakerState> onStateChange) {
        this.upstream = upstream;
        this.name = "railyard/" + upstream.network() + "/" + upstream.name();
        this.guard = TypedGuard.create(ANSWER_STAGE)
                .withCircuitBreaker()
                .name(name)
                .requestVolumeThreshold(requestVolume)
                .failureRatio(failureRatio)
                .delay(delay.toMillis(), ChronoUnit.MILLIS)
                .successThreshold(1)
                .when(CircuitBreaker::countsAgainstUpstream)
                .onStateChange(onStateChange)
                .done()
                .withThreadOffload(false)
                .build();
    }

    private static boolean countsAgainstUpstream(Throwable t) {
        return t instanceof UpstreamFailure f && f.kind().countsAgainstUpstream();
    }

    /** Runs the call through the breaker; a call the open breaker prevents fails with {@code BREAKER_OPEN}. */
    @SuppressWarnings("unchecked")
    public <T> Future<T> call(Supplier<Future<T>> call) {
        CompletionStage<Object> stage = guard.get(() -> (CompletionStage<Object>) call.get().toCompletionStage());
        return Future.fromCompletionStage((CompletionStage<T>) (CompletionStage<?>) stage).recover(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof CircuitBreakerOpenException) {
                return Future.failedFuture(new UpstreamFailure(UpstreamFailure.Kind.BREAKER_OPEN, upstream, "circuit breaker open"));
            }
            return Future.failedFuture(cause);
        });
    }

    public CircuitBreakerState state() {
        return CircuitBreakerMaintenance.get().currentState(name);
    }

    /** Closes the breaker: probes have shown the upstream healthy again. */
    public void reset() {
        CircuitBreakerMaintenance.get().reset(name);
    }
}
