package io.railyard.testing;

import io.quarkus.arc.Arc;
import io.railyard.upstream.HealthChecker;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Probing rounds run by a test, for test classes that set {@code railyard.health.interval} long enough (an hour)
 * that the timer never runs one: what they assert then follows from the rounds run, not from how much time passed.
 * A silent node's probe still takes {@code railyard.health.timeout}.
 */
public final class Probes {

    private Probes() {
    }

    /** Runs one probing round over every network and waits until its verdicts are applied. */
    public static void round() {
        try {
            Arc.container().instance(HealthChecker.class).get().probeRound()
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("a probing round did not complete", e);
        }
    }

    /** Runs rounds until {@code condition} holds, {@code most} at the most; returns the rounds it took (0: it held). */
    public static int until(String what, BooleanSupplier condition, int most) {
        return until(what, condition, most, () -> true);
    }

    /** As {@link #until(String, BooleanSupplier, int)}, checking {@code invariant} after every round. */
    public static int until(String what, BooleanSupplier condition, int most, BooleanSupplier invariant) {
        for (int rounds = 0; ; rounds++) {
            if (condition.getAsBoolean()) {
                return rounds;
            }
            if (rounds == most) {
                throw new AssertionError(what + ": not after " + most + " probe rounds; " + states());
            }
            round();
            if (!invariant.getAsBoolean()) {
                throw new AssertionError(what + ": after round " + (rounds + 1) + ": " + states());
            }
        }
    }

    /**
     * One round, so that what an earlier test left (a node's head, an ejection) is probed again, then rounds until
     * every upstream of {@code pool} is healthy: three at most (readmission takes two good rounds).
     */
    public static void allHealthy(UpstreamPool pool) {
        round();
        until("every upstream of " + pool.network() + " healthy", () -> pool.upstreams().stream().allMatch(Upstream::isHealthy), 3);
    }

    /** Every upstream of every network: healthy or ejected, and why. */
    public static String states() {
        return Arc.container().instance(UpstreamPools.class).get().all().values().stream()
                .flatMap(p -> p.upstreams().stream())
                .map(u -> u + " " + (u.isHealthy() ? "healthy" : "ejected") + " (" + u.stateReason() + ")").toList().toString();
    }
}
