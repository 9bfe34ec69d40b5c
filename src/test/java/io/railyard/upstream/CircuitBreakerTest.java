package io.railyard.upstream;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodesResource;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The breaker's rules, with a zero delay so that "after the delay" is the very next call: nothing here waits
 * for time to pass (SmallRye Fault Tolerance keeps its own clock, so the delay is the only time knob). It runs
 * inside Quarkus because SmallRye's guards come from the CDI container there.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = @ResourceArg(name = "count", value = "1"))
class CircuitBreakerTest {

    private static final RpcAnswer OK = RpcAnswer.result("\"0x1\"".getBytes(StandardCharsets.UTF_8));

    private final Upstream upstream = new Upstream("net", "node-" + System.nanoTime(), URI.create("http://127.0.0.1:1"), 1, 0, Map.of());
    /** Transitions can be reported from another thread than the test's, hence a concurrent list read as snapshots. */
    private final List<CircuitBreakerState> transitions = new CopyOnWriteArrayList<>();

    private CircuitBreaker breaker(Duration delay) {
        return new CircuitBreaker(upstream, 4, 0.5, delay, transitions::add);
    }

    private static Future<RpcAnswer> failing(UpstreamFailure.Kind kind, Upstream u) {
        return Future.failedFuture(new UpstreamFailure(kind, u, "boom"));
    }

    private static Throwable outcome(Future<RpcAnswer> f) throws Exception {
        try {
            f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void opensWhenHalfOfTheWindowFailsAndThenPreventsCalls() throws Exception {
        CircuitBreaker cb = breaker(Duration.ofHours(1));
        outcome(cb.call(() -> Future.succeededFuture(OK)));
        outcome(cb.call(() -> Future.succeededFuture(OK)));
        outcome(cb.call(() -> failing(UpstreamFailure.Kind.TIMEOUT, upstream)));
        assertEquals(CircuitBreakerState.CLOSED, cb.state(), "3 calls are below the window of 4");
        outcome(cb.call(() -> failing(UpstreamFailure.Kind.HTTP_5XX, upstream)));
        assertEquals(CircuitBreakerState.OPEN, cb.state(), "2 of 4 failed");
        Await.until("the opening is reported", () -> transitions.equals(List.of(CircuitBreakerState.OPEN)));

        AtomicInteger made = new AtomicInteger();
        Throwable prevented = outcome(cb.call(() -> {
            made.incrementAndGet();
            return Future.succeededFuture(OK);
        }));
        assertEquals(UpstreamFailure.Kind.BREAKER_OPEN, assertInstanceOf(UpstreamFailure.class, prevented).kind());
        assertEquals(0, made.get(), "an open breaker does not make the call");
        assertTrue(!((UpstreamFailure) prevented).maybeDelivered(), "a prevented call was never sent");
    }

    @Test
    void halfOpensAfterTheDelayAndClosesOnASuccessfulTrial() throws Exception {
        CircuitBreaker cb = breaker(Duration.ZERO);
        for (int i = 0; i < 4; i++) {
            outcome(cb.call(() -> failing(UpstreamFailure.Kind.CONNECT, upstream)));
        }
        // With a zero delay the open breaker is due for a trial at once, so it may already read as half-open.
        Await.until("the opening is reported", () -> !transitions.isEmpty());
        assertEquals(CircuitBreakerState.OPEN, transitions.get(0));
        assertEquals(null, outcome(cb.call(() -> Future.succeededFuture(OK))), "the trial call goes through");
        Await.until("open, half-open, closed", () -> transitions.equals(
                List.of(CircuitBreakerState.OPEN, CircuitBreakerState.HALF_OPEN, CircuitBreakerState.CLOSED)));
    }

    @Test
    void aFailedTrialOpensItAgain() throws Exception {
        CircuitBreaker cb = breaker(Duration.ZERO);
        for (int i = 0; i < 4; i++) {
            outcome(cb.call(() -> failing(UpstreamFailure.Kind.RATE_LIMITED, upstream)));
        }
        outcome(cb.call(() -> failing(UpstreamFailure.Kind.BAD_REPLY, upstream)));
        // With a zero delay the reopened breaker may half-open again at once; what matters is the failed trial.
        Await.until("a failed trial reopens it", () -> transitions.size() >= 3);
        assertEquals(List.of(CircuitBreakerState.OPEN, CircuitBreakerState.HALF_OPEN, CircuitBreakerState.OPEN), List.copyOf(transitions).subList(0, 3));
        assertTrue(!transitions.contains(CircuitBreakerState.CLOSED));
    }

    @Test
    void cancellationsAndNodeErrorsDoNotCount() throws Exception {
        CircuitBreaker cb = breaker(Duration.ofHours(1));
        for (int i = 0; i < 10; i++) {
            outcome(cb.call(() -> failing(UpstreamFailure.Kind.CANCELLED, upstream)));
            outcome(cb.call(() -> Future.succeededFuture(RpcAnswer.upstreamError("{\"code\":3}".getBytes(StandardCharsets.UTF_8), 3, "reverted"))));
        }
        assertEquals(CircuitBreakerState.CLOSED, cb.state());
        assertEquals(List.of(), transitions);
    }

    @Test
    void resetClosesAnOpenBreaker() throws Exception {
        CircuitBreaker cb = breaker(Duration.ofHours(1));
        for (int i = 0; i < 4; i++) {
            outcome(cb.call(() -> failing(UpstreamFailure.Kind.TIMEOUT, upstream)));
        }
        assertEquals(CircuitBreakerState.OPEN, cb.state());
        cb.reset();
        assertEquals(CircuitBreakerState.CLOSED, cb.state());
        assertEquals(null, outcome(cb.call(() -> Future.succeededFuture(OK))));
    }
}
