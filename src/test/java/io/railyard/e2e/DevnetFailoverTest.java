package io.railyard.e2e;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.testing.LogCapture;
import io.railyard.testing.ReadLoad;
import io.railyard.upstream.HealthChecker;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failover on real nodes: three anvil nodes in lockstep behind the gateway (network {@code rr}, health interval
 * 500 ms, max-lag 5). Killing a node under a steady stream of reads costs no client a single failed request, and
 * the node is readmitted once it is back; a node held back by the devnet is ejected for lag and readmitted once
 * it catches up.
 */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class DevnetFailoverTest {

    private static final String NETWORK = "rr";
    private static final int CLIENTS = 20;
    /** Upper bound of requests per client thread, so that the stream is bounded in count as well as in time. */
    private static final int MAX_REQUESTS_PER_CLIENT = 5000;
    private static final long INTERVAL_MS = 500;
    private static final long MAX_LAG = 5;

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    @BeforeEach
    void allHealthy() {
        Await.allHealthy(pool());
    }

    @Test
    void killingANodeUnderSteadyReadsFailsNoClientRequestAndTheRestartedNodeIsReadmitted() throws Exception {
        Upstream victim = pool().byName("anvil-1");
        ReadLoad stream = reads(CLIENTS);
        long killedAt;
        long streamStarted = System.nanoTime();
        try {
            sleep(2000);
            killedAt = System.nanoTime();
            devnet.kill(1);
            long before = stream.total.get();
            Await.until("anvil-1 ejected", () -> !victim.isHealthy());
            long ejectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            System.out.printf("[failover] anvil-1 killed after %d requests; ejected %d ms later: %s%n", before, ejectedMs, victim.stateReason());
            // Ejected by its probes failing, or earlier by its circuit breaker on the failing traffic.
            assertTrue(victim.stateReason().contains("failed probes") || victim.stateReason().startsWith("circuit breaker open"),
                    victim.stateReason());
            // Keep reading for a while with the node gone.
            long until = killedAt + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < until) {
                sleep(50);
            }
        } finally {
            stream.stop();
        }
        double seconds = (System.nanoTime() - streamStarted) / 1e9;
        System.out.printf("[failover] %d clients, %.1f s: %d reads, %d failed (%.0f reads/s)%s%n", CLIENTS, seconds,
                stream.total.get(), stream.failed.get(), stream.total.get() / seconds,
                stream.failures.isEmpty() ? "" : "; first failures: " + stream.failures);
        assertTrue(stream.total.get() >= CLIENTS * 10, "the stream was steady: " + stream.total.get() + " reads");
        assertEquals(0, stream.failed.get(), "failed client reads while a node was killed: " + stream.failures);
        assertFalse(victim.isHealthy());

        long restarting = System.nanoTime();
        devnet.restart(1);
        Await.until("anvil-1 readmitted", victim::isHealthy);
        System.out.printf("[failover] anvil-1 readmitted %d ms after restart began%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarting));
        assertEquals("healthy", victim.stateReason());

        // It serves again: a short stream after readmission still fails nothing.
        ReadLoad after = reads(4);
        sleep(1000);
        after.stop();
        assertEquals(0, after.failed.get(), "reads after readmission: " + after.failures);
        assertTrue(after.total.get() > 0);
    }

    @Test
    void nodeHeldBackIsEjectedForLagAndReadmittedOnceItCatchesUp() throws Exception {
        Upstream held = pool().byName("anvil-2");
        ReadLoad stream = reads(4);
        LogCapture log = LogCapture.ofPackage(HealthChecker.class);
        try {
            devnet.holdBack(2);
            long heldHead = blockNumber(devnet.url(2));
            for (int i = 0; i <= MAX_LAG + 2; i++) {
                devnet.mineBlock();
            }
            long mined = System.nanoTime();
            Await.until("anvil-2 ejected for lag", () -> !held.isHealthy());
            long ejectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - mined);
            String reason = held.stateReason();
            System.out.printf("[failover] anvil-2 held at %d; ejected %d ms after the others got %d blocks ahead: %s%n",
                    heldHead, ejectedMs, MAX_LAG + 3, reason);
            assertTrue(reason.contains("behind"), "ejected for lag: " + reason);
            assertTrue(ejectedMs <= 2 * INTERVAL_MS + 1000, "ejected within two health intervals (+ slack): " + ejectedMs + " ms");
            for (String other : List.of("anvil-0", "anvil-1")) {
                assertTrue(pool().byName(other).isHealthy(), other + ": " + pool().byName(other).stateReason());
            }
            // A few more rounds while it stays behind (the chain keeps moving: the figures change every round).
            sleep(3 * INTERVAL_MS);
            assertFalse(held.isHealthy());
            assertTrue(blockNumber(devnet.url(2)) == heldHead, "the devnet kept anvil-2 back");

            long releasing = System.nanoTime();
            devnet.release(2);
            Await.until("anvil-2 readmitted", held::isHealthy);
            System.out.printf("[failover] anvil-2 readmitted %d ms after release%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - releasing));
            assertEquals("healthy", held.stateReason());
        } finally {
            log.close();
            stream.stop();
            devnet.release(2);
        }
        System.out.printf("[failover] reads during hold-back: %d, failed %d%n", stream.total.get(), stream.failed.get());
        assertEquals(0, stream.failed.get(), "failed client reads while a node lagged: " + stream.failures);
        List<String> ejections = log.matching(held + " ejected");
        System.out.printf("[failover] ejection log lines for %s: %d %s%n", held, ejections.size(), ejections);
        assertEquals(1, ejections.size(), "one ejection is logged once (DESIGN.md), got: " + ejections);
        assertEquals(1, log.matching(held + " readmitted").size(), log.messages().toString());
    }

    // ------------------------------------------------------------------------------------------ helpers

    private ReadLoad reads(int clients) {
        return ReadLoad.start(URI.create(gateway.toString() + NETWORK), clients, MAX_REQUESTS_PER_CLIENT, List.of(
                "\"method\":\"eth_blockNumber\",\"params\":[]",
                "\"method\":\"eth_getBalance\",\"params\":[\"" + Devnet.FIRST_ADDRESS + "\",\"latest\"]",
                "\"method\":\"eth_getBlockByNumber\",\"params\":[\"latest\",false]",
                "\"method\":\"eth_getTransactionCount\",\"params\":[\"" + Devnet.FIRST_ADDRESS + "\",\"latest\"]",
                "\"method\":\"eth_getCode\",\"params\":[\"" + Devnet.FIRST_ADDRESS + "\",\"latest\"]"));
    }

    private UpstreamPool pool() {
        return pools.pool(NETWORK);
    }

    private static void sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    private long blockNumber(URI node) {
        String body = post(node, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\",\"params\":[]}").body();
        return Long.decode(new JsonObject(body).getString("result"));
    }

    private HttpResponse<String> post(URI url, String body) {
        try {
            return http.send(HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(15))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
