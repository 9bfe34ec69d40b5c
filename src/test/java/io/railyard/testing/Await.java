package io.railyard.testing;

import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;

import java.util.function.BooleanSupplier;

/**
 * Polls a condition until a bounded deadline, for state that other threads change (health verdicts, background
 * forwards). Never used to let time pass: behaviour that depends on time takes an injected clock instead.
 */
public final class Await {

    private Await() {
    }

    /** Until every upstream of the network passes the health rules (the state most tests start from). */
    public static void allHealthy(UpstreamPool pool) {
        until("every upstream of " + pool.network() + " healthy", () -> pool.upstreams().stream().allMatch(Upstream::isHealthy));
    }

    public static void until(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what);
            }
        }
    }
}
