package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.testing.ReadLoad;
import io.railyard.testing.Signals;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Chaos on the real devnet (three anvil nodes, a block every 250 ms, probes every 500 ms): nodes killed, frozen with
 * SIGSTOP and thawed, and flapping, each under steady concurrent read load through the gateway. Wherever one node
 * still answers, no read may fail and no answer may show a head older than one already shown. The p50/p99 of each
 * scenario are printed ({@code [chaos]} lines) for the README; the flapping case's p99 is a figure, not an assertion.
 */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class DevnetChaosTest {

    private static final String NETWORK = "rr";
    private static final int READERS = 8;
    private static final List<String> READS = List.of(
            "\"method\":\"eth_blockNumber\",\"params\":[]",
            "\"method\":\"eth_getBalance\",\"params\":[\"" + Devnet.FIRST_ADDRESS + "\",\"latest\"]",
            "\"method\":\"eth_getBlockByNumber\",\"params\":[\"latest\",false]",
            "\"method\":\"eth_chainId\",\"params\":[]",
            "\"method\":\"eth_getBlockByNumber\",\"params\":[\"0x1\",false]",
            "\"method\":\"eth_call\",\"params\":[{\"to\":\"" + Devnet.FIRST_ADDRESS + "\",\"data\":\"0x\"},\"latest\"]",
            "\"method\":\"eth_gasPrice\",\"params\":[]");

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    private final Set<Long> frozen = new HashSet<>();
    private final Set<Integer> killed = new HashSet<>();

    @BeforeEach
    void everyNodeServing() {
        UpstreamPool pool = pools.pool(NETWORK);
        Await.allHealthy(pool);
        // The readers ask for block 1, which a devnet that has only just started has not mined yet.
        Await.until("the devnet past block 1", () -> devnet.height() >= 2);
    }

    @AfterEach
    void heal() {
        frozen.forEach(Signals::resume);
        frozen.clear();
        killed.forEach(devnet::restart);
        killed.clear();
        UpstreamPool pool = pools.pool(NETWORK);
        Await.allHealthy(pool);
    }

    @Test
    void twoOfThreeNodesKilledUnderLoadFailNoRead() throws Exception {
        ReadLoad load = underLoad(timeline -> {
            timeline.at(1000, () -> kill(1));
            timeline.at(3000, () -> kill(2));
            timeline.at(7000, () -> { });
        });
        assertNoReadFailed("two of three killed", load);
    }

    @Test
    void twoOfThreeNodesHungAtOnceThenResumedFailNoRead() throws Exception {
        ReadLoad load = underLoad(timeline -> {
            long[] pids = {devnet.process(1).pid(), devnet.process(2).pid()};
            timeline.at(1000, () -> { freeze(pids[0]); freeze(pids[1]); });
            timeline.at(6000, () -> { thaw(pids[0]); thaw(pids[1]); });
            timeline.at(9000, () -> { });
        });
        assertNoReadFailed("two of three hung, then resumed", load);
    }

    @Test
    void oneHungAnotherKilledThenTheFirstResumedFailNoRead() throws Exception {
        ReadLoad load = underLoad(timeline -> {
            long pid = devnet.process(1).pid();
            timeline.at(1000, () -> freeze(pid));
            timeline.at(3000, () -> kill(2));
            timeline.at(6000, () -> thaw(pid));
            timeline.at(9000, () -> { });
        });
        assertNoReadFailed("one hung, another killed, the first resumed", load);
    }

    @Test
    void aFlappingNodeFailsNoRead() throws Exception {
        ReadLoad load = underLoad(timeline -> {
            long pid = devnet.process(1).pid();
            for (int second = 1; second <= 10; second++) {
                timeline.at(second * 1000L, () -> freeze(pid));
                timeline.at(second * 1000L + 400, () -> thaw(pid));
            }
            timeline.at(11_500, () -> { });
        });
        assertNoReadFailed("one node stopped 400 ms of every second for 10 s", load);
    }

    // ---------------------------------------------------------------- faults

    private void kill(int node) {
        killed.add(node);
        devnet.kill(node);
    }

    private void freeze(long pid) {
        frozen.add(pid);
        Signals.stop(pid);
    }

    private void thaw(long pid) {
        Signals.resume(pid);
        frozen.remove(pid);
    }

    // ---------------------------------------------------------------- load and timeline

    private interface Script {
        void write(Timeline timeline);
    }

    /** Faults at given offsets from the start of the load; the load stops after the last one. */
    private static final class Timeline {
        private record Step(long atMs, Runnable action) {
        }

        private final List<Step> steps = new ArrayList<>();

        void at(long ms, Runnable action) {
            steps.add(new Step(ms, action));
        }

        void run(long started) throws InterruptedException {
            steps.sort((a, b) -> Long.compare(a.atMs, b.atMs));
            for (Step step : steps) {
                long left = step.atMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                if (left > 0) {
                    Thread.sleep(left);
                }
                step.action.run();
            }
        }
    }

    private ReadLoad underLoad(Script script) throws Exception {
        Timeline timeline = new Timeline();
        script.write(timeline);
        ReadLoad load = ReadLoad.start(URI.create(gateway + NETWORK), READERS, 20_000, READS);
        try {
            timeline.run(System.nanoTime());
        } finally {
            load.stop();
        }
        return load;
    }

    private static void assertNoReadFailed(String scenario, ReadLoad load) {
        System.out.printf("[chaos] %s: %s%n", scenario, load.summary());
        assertTrue(load.total.get() >= READERS * 20, scenario + ": the load was real: " + load.total.get() + " reads");
        assertEquals(0, load.failed.get(), scenario + ": failed reads: " + load.failures);
        assertEquals(0, load.headWentBack.get(), scenario + ": answers older than one already shown: " + load.backwards);
    }
}
