package io.railyard.upstream;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.RpcGateway;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.LogCapture;
import io.railyard.testing.Probes;
import io.vertx.core.json.JsonArray;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static io.railyard.testing.Rpc.call;
import static io.railyard.testing.Rpc.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream health end to end over fake nodes: for each way one of three upstreams can go bad, clients keep
 * getting correct answers from the other two, the bad one is ejected after the probe rounds the policy counts (the
 * first round for a node that answers unfit, {@code failures-to-eject} rounds for one whose probes fail) with a
 * reason that names the cause, and it is readmitted after {@code successes-to-readmit} good rounds once it recovers.
 * The test runs the probing rounds itself ({@code health.interval} is an hour, so the timer never does): what it
 * asserts follows from the rounds run, not from how long anything took. Also: the rogue-high-head case, every upstream down, failover on missing-data
 * errors but not on deterministic ones, sticky filters and the null re-check of by-hash lookups.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        // A free port, so that this class can run while other builds on the machine hold 8081.
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        // The rounds are the test's (HealthChecker.probeRound); a silent node's probe still fails after 500 ms.
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class HealthIntegrationTest {

    /** A node that answers its probe unfit (wrong chain, syncing, lagging) is ejected by that round. */
    private static final int UNFIT_ROUNDS = 1;
    /** A node whose probes fail is ejected by the second failed round ({@code health.failures-to-eject}). */
    private static final int FAILED_ROUNDS = 2;
    /** Good rounds that readmit ({@code health.successes-to-readmit}). */
    private static final int READMIT_ROUNDS = 2;

    private static final String GOOD = "\"0x64\"";
    /** What a bad node would answer if it were still asked: visible in any answer that leaks through. */
    private static final String WRONG = "\"0xbad\"";
    private static final String RECEIPT = "{\"transactionHash\":\"0x" + "12".repeat(32)
            + "\",\"blockNumber\":\"0x5f\",\"status\":\"0x1\"}";

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @TestHTTPResource("/testnet")
    URL endpoint;

    @BeforeEach
    void allHealthy() {
        fakes.resetAll();
        fakes.nodes().forEach(n -> n.chain(1, 100, 90));
        Probes.allHealthy(pool());
        if (gateway.cache() != null) {
            gateway.cache().invalidateAll();
        }
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }

    // ------------------------------------------------------------------------------------------ failure modes

    @Test
    void deadUpstreamRefusingConnections() throws Exception {
        FakeUpstream bad = fakes.get(0);
        failureMode("dead", 0, true, FAILED_ROUNDS, bad::stop, bad::restart, "consecutive failed probes", "refused");
    }

    @Test
    void hungUpstreamThatAcceptsAndNeverAnswers() throws Exception {
        FakeUpstream bad = fakes.get(1);
        failureMode("hung", 1, true, FAILED_ROUNDS, () -> bad.everything(req -> new FakeUpstream.Hang()), bad::reset,
                "consecutive failed probes", "no answer within");
    }

    @Test
    void slowUpstreamAnsweringAfterTheTryTimeout() throws Exception {
        FakeUpstream bad = fakes.get(2);
        // 2 s: above the traffic try-timeout (1500 ms) and the probe timeout (500 ms).
        failureMode("slow", 2, true, FAILED_ROUNDS, () -> bad.latency(2000), bad::reset,
                "consecutive failed probes", "no answer within");
    }

    @Test
    void upstreamAnsweringHttp500() throws Exception {
        FakeUpstream bad = fakes.get(0);
        failureMode("http 500", 0, true, FAILED_ROUNDS,
                () -> bad.everything(req -> new FakeUpstream.Status(500, "{\"error\":\"internal\"}")), bad::reset,
                "consecutive failed probes", "HTTP 500");
    }

    @Test
    void upstreamAnsweringHttp429() throws Exception {
        FakeUpstream bad = fakes.get(1);
        failureMode("http 429", 1, true, FAILED_ROUNDS,
                () -> bad.everything(req -> new FakeUpstream.Status(429, "{\"error\":\"too many requests\"}")), bad::reset,
                "consecutive failed probes", "HTTP 429");
    }

    @Test
    void upstreamOnTheWrongChain() throws Exception {
        FakeUpstream bad = fakes.get(2);
        failureMode("wrong chain", 2, false, UNFIT_ROUNDS, () -> bad.chain(5, 100, 90), () -> bad.chain(1, 100, 90),
                "wrong chain", "eth_chainId 5");
    }

    @Test
    void syncingUpstream() throws Exception {
        FakeUpstream bad = fakes.get(0);
        failureMode("syncing", 0, false, UNFIT_ROUNDS, () -> bad.syncing(true), () -> bad.syncing(false), "syncing", "syncing");
    }

    @Test
    void laggingUpstream() throws Exception {
        FakeUpstream bad = fakes.get(1);
        failureMode("lagging", 1, false, UNFIT_ROUNDS, () -> bad.chain(1, 80, 70), () -> bad.chain(1, 100, 90),
                "20 blocks behind", "best head 100");
    }

    /**
     * On a real network the chain moves on while a lagging node stays behind, so the figures in its reason change
     * every round ("20 blocks behind", "21 blocks behind"...). It is still one ejection: logged once (DESIGN.md:
     * "Every ejection and readmission is logged once"), while its reason keeps the current figures for /status.
     */
    @Test
    void laggingUpstreamOnAnAdvancingChainIsEjectedAndLoggedOnce() {
        FakeUpstream lagging = fakes.get(1);
        Upstream laggingUp = upstream(1);
        try (LogCapture log = LogCapture.ofPackage(HealthChecker.class)) {
            lagging.chain(1, 80, 70);
            Probes.until("node-1 ejected", () -> !laggingUp.isHealthy(), UNFIT_ROUNDS);
            // The others advance 15 blocks over five probe rounds; node-1 stays at 80.
            for (long head = 101; head <= 115; head++) {
                fakes.get(0).head(head);
                fakes.get(2).head(head);
                if (head % 3 == 0) {
                    Probes.round();
                }
            }
            long best = 115;
            Probes.round();
            assertTrue(laggingUp.stateReason().contains("best head " + best), "the reason shows the current figures: " + laggingUp.stateReason());
            assertFalse(laggingUp.isHealthy());
            assertTrue(laggingUp.stateReason().startsWith((best - 80) + " blocks behind"), laggingUp.stateReason());
            assertTrue(upstream(0).isHealthy() && upstream(2).isHealthy());
            List<String> ejections = log.matching(laggingUp + " ejected");
            System.out.printf("[health] lag on an advancing chain: %d ejection log lines: %s%n", ejections.size(), ejections);
            assertEquals(1, ejections.size(), "one ejection, logged once; got " + ejections.size() + " lines: " + ejections);

            lagging.chain(1, best, 100);
            Probes.until("node-1 readmitted", laggingUp::isHealthy, READMIT_ROUNDS);
            assertEquals(1, log.matching(laggingUp + " readmitted").size(), log.messages().toString());
        } finally {
            fakes.nodes().forEach(n -> n.chain(1, 100, 90));
        }
        allHealthyAfterRounds();
    }

    @Test
    void upstreamAnsweringHeaderNotFoundToEverything() throws Exception {
        FakeUpstream bad = fakes.get(2);
        // A node whose database lost its headers: traffic and probes alike get "header not found".
        failureMode("header not found", 2, true, FAILED_ROUNDS,
                () -> bad.everything(req -> new FakeUpstream.Error(-32000, "header not found")), bad::reset,
                "consecutive failed probes", "header not found");
    }

    /**
     * One failure mode of upstream {@code bad}: reads keep being answered correctly (from the start when the fault
     * shows in traffic, so failover covers the time before ejection; after ejection in any case, with no call
     * reaching the bad node), the node is ejected by probe round {@code roundsToEject} at the latest (earlier when
     * failing traffic opened its breaker) with a reason containing {@code reasonParts}, and it is readmitted after
     * {@link #READMIT_ROUNDS} good rounds and serves again after {@code heal}.
     *
     * @param faultInTraffic whether calls to the bad node fail (dead, hung, 5xx...). When they do not (wrong chain,
     *                       syncing, lag), the node answers reads with a wrong value, so any read it serves shows.
     */
    private void failureMode(String mode, int bad, boolean faultInTraffic, int roundsToEject, Runnable breakIt, Runnable heal,
                             String... reasonParts) throws Exception {
        FakeUpstream node = fakes.get(bad);
        Upstream upstream = upstream(bad);
        fakes.nodes().forEach(n -> n.result("eth_getBalance", GOOD));
        if (!faultInTraffic) {
            node.result("eth_getBalance", WRONG);
        }
        AtomicBoolean healed = new AtomicBoolean();
        try (LogCapture log = LogCapture.ofPackage(HealthChecker.class)) {
            breakIt.run();
            if (faultInTraffic) {
                readsAllCorrect(mode + ": reads while " + upstream + " is bad and not yet ejected");
            }
            int ejectedAfter = Probes.until(mode + ": " + upstream + " ejected", () -> !upstream.isHealthy(), roundsToEject);
            String reason = upstream.stateReason();
            System.out.printf("[health] %s: %s ejected after %d probe rounds (at most %d): %s%n", mode, upstream, ejectedAfter, roundsToEject, reason);
            // Traffic that fails may open the upstream's circuit breaker before two probes have failed: also an ejection.
            boolean byBreaker = faultInTraffic && reason.startsWith("circuit breaker open");
            for (String part : byBreaker ? new String[0] : reasonParts) {
                assertTrue(reason.contains(part), mode + ": the reason '" + reason + "' should name the cause ('" + part + "')");
            }

            node.resetCounts();
            readsAllCorrect(mode + ": reads after " + upstream + " was ejected");
            assertEquals(0, node.trafficCalls(), mode + ": an ejected upstream gets no traffic");
            assertFalse(upstream.isHealthy(), mode + ": still ejected while still bad");
            for (Upstream other : pool().upstreams()) {
                if (other != upstream) {
                    assertTrue(other.isHealthy(), mode + ": " + other + " stays healthy (" + other.stateReason() + ")");
                }
            }

            heal.run();
            healed.set(true);
            node.result("eth_getBalance", GOOD);
            int readmittedAfter = Probes.until(mode + ": " + upstream + " readmitted", upstream::isHealthy, READMIT_ROUNDS);
            System.out.printf("[health] %s: %s readmitted after %d good rounds: %s%n", mode, upstream, readmittedAfter, upstream.stateReason());
            assertEquals("healthy", upstream.stateReason());
            assertEquals(1, log.matching(upstream + " ejected").size(), mode + ": the ejection is logged once: " + log.messages());
            assertEquals(1, log.matching(upstream + " readmitted").size(), mode + ": the readmission is logged once: " + log.messages());
            node.resetCounts();
            for (int i = 0; i < 9; i++) {
                expectGood(i);
            }
            assertTrue(node.calls("eth_getBalance") >= 1, mode + ": readmitted " + upstream + " serves reads again");

            if (faultInTraffic) {
                // Above, failing reads may have opened its breaker first; with no traffic the probes alone eject it.
                breakIt.run();
                healed.set(false);
                assertEquals(FAILED_ROUNDS, Probes.until(mode + ": " + upstream + " ejected by its probes", () -> !upstream.isHealthy(), FAILED_ROUNDS));
                for (String part : reasonParts) {
                    assertTrue(upstream.stateReason().contains(part), mode + ": the probes' reason '" + upstream.stateReason() + "' should name the cause ('" + part + "')");
                }
                heal.run();
                healed.set(true);
                Probes.until(mode + ": " + upstream + " readmitted again", upstream::isHealthy, READMIT_ROUNDS);
            }
        } finally {
            if (!healed.get()) {
                try {
                    heal.run();
                } catch (RuntimeException e) {
                    System.err.println("[health] " + mode + ": could not heal " + upstream + " after a failure: " + e);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ rogue head

    @Test
    void rogueUpstreamReportingAFarHigherHeadIsTheOneEjected() throws Exception {
        FakeUpstream rogue = fakes.get(1);
        Upstream rogueUp = upstream(1);
        List<Upstream> others = List.of(upstream(0), upstream(2));
        fakes.nodes().forEach(n -> n.result("eth_getBalance", GOOD));
        rogue.result("eth_getBalance", WRONG);
        // The honest majority must never be ejected, not even for one round: checked after every round.
        BooleanSupplier honestServe = () -> others.stream().allMatch(Upstream::isHealthy);
        try (LogCapture log = LogCapture.ofPackage(HealthChecker.class)) {
            rogue.head(1_000_000);
            int after = Probes.until("the rogue " + rogueUp + " ejected", () -> !rogueUp.isHealthy(), UNFIT_ROUNDS, honestServe);
            String reason = rogueUp.stateReason();
            System.out.printf("[health] rogue head: %s ejected after %d probe rounds: %s%n", rogueUp, after, reason);
            assertTrue(reason.contains("ahead"), reason);
            assertTrue(reason.contains("100"), "the reason gives the majority's head: " + reason);
            // A few more rounds with the rogue still reporting its head.
            for (int i = 0; i < 4; i++) {
                Probes.round();
                assertTrue(honestServe.getAsBoolean(), "round " + i + ": " + others.stream().map(u -> u + " " + u.stateReason()).toList());
            }
            assertEquals(100, pool().bestHead(), "the network's head is the majority's, not the rogue's");
            rogue.resetCounts();
            readsAllCorrect("reads with a rogue-high upstream");
            assertEquals(0, rogue.trafficCalls(), "the rogue gets no traffic");
            assertFalse(rogueUp.isHealthy());

            rogue.head(100);
            int readmitted = Probes.until("the rogue readmitted", rogueUp::isHealthy, READMIT_ROUNDS, honestServe);
            System.out.printf("[health] rogue head: readmitted after %d good rounds%n", readmitted);
            assertEquals(1, log.matching(rogueUp + " ejected").size(), log.messages().toString());
            for (Upstream u : others) {
                assertEquals(List.of(), log.matching(u + " ejected"));
            }
        } finally {
            rogue.head(100);
        }
    }

    /**
     * The same rogue while another upstream is down (maintenance, a crash): the honest node left is now one of
     * two that answer, and must still not be ejected because of the rogue's head, or every client would be served
     * by the rogue alone. (What becomes of the rogue is the policy's choice; this asserts only that the honest
     * node keeps serving.)
     */
    @Test
    void rogueHighHeadWhileAnotherUpstreamIsDownDoesNotGetTheHonestOneEjected() throws Exception {
        FakeUpstream down = fakes.get(0);
        FakeUpstream rogue = fakes.get(1);
        Upstream honest = upstream(2);
        List<String> honestEjected = new ArrayList<>();
        down.stop();
        try {
            Probes.until("node-0 ejected", () -> !upstream(0).isHealthy(), FAILED_ROUNDS);
            rogue.head(1_000_000);
            for (int i = 0; i < 6; i++) {
                Probes.round();
                if (!honest.isHealthy()) {
                    honestEjected.add("round " + i + ": " + honest.stateReason());
                }
            }
            System.out.printf("[health] rogue with node-0 down: node-2 %s (%s), node-1 %s (%s), best head %d%n",
                    honest.isHealthy() ? "healthy" : "ejected", honest.stateReason(),
                    upstream(1).isHealthy() ? "healthy" : "ejected", upstream(1).stateReason(), pool().bestHead());
        } finally {
            rogue.head(100);
            down.restart();
        }
        allHealthyAfterRounds();
        assertEquals(List.of(), honestEjected,
                "with node-0 down, a rogue head of 1000000 on node-1 must not get the honest node-2 (head 100) ejected");
    }

    // ------------------------------------------------------------------------------------------ all down

    @Test
    void everyUpstreamRefusingConnectionsGets503() {
        fakes.nodes().forEach(FakeUpstream::stop);
        try {
            // Before any probe noticed: every try is refused, and the client is told so.
            assertUnavailable(1, "every upstream refusing, not yet ejected");
            Probes.until("every upstream ejected", () -> !pool().hasHealthyUpstream(), FAILED_ROUNDS);
            for (int i = 2; i < 5; i++) {
                assertUnavailable(i, "every upstream ejected");
            }
        } finally {
            fakes.nodes().forEach(FakeUpstream::restart);
        }
        allHealthyAfterRounds();
        fakes.nodes().forEach(n -> n.result("eth_getBalance", GOOD));
        expectGood(9);
    }

    @Test
    void everyUpstreamEjectedForDifferentReasonsGets503WithoutAskingAnyOfThemSingleAndPerBatchItem() {
        fakes.get(0).everything(req -> new FakeUpstream.Hang());
        fakes.get(1).everything(req -> new FakeUpstream.Status(500, "down"));
        fakes.get(2).chain(7, 100, 90);
        try {
            Probes.until("every upstream ejected", () -> !pool().hasHealthyUpstream(), FAILED_ROUNDS);
            for (int i = 1; i < 4; i++) {
                assertUnavailable(i, "hung, 500 and wrong-chain upstreams all ejected");
            }
            Reply batch = post("[" + balanceCall(7) + "," + balanceCall("b") + "]");
            assertEquals(200, batch.status(), batch.body());
            JsonArray items = new JsonArray(batch.body());
            assertEquals(2, items.size());
            assertEquals(7, items.getJsonObject(0).getInteger("id"));
            assertEquals("b", items.getJsonObject(1).getString("id"));
            for (int i = 0; i < 2; i++) {
                assertEquals(-32002, items.getJsonObject(i).getJsonObject("error").getInteger("code"), batch.body());
            }
            assertEquals(0, fakes.calls("eth_getBalance"), "no upstream is tried while none is healthy");
        } finally {
            fakes.resetAll();
            fakes.get(2).chain(1, 100, 90);
        }
        allHealthyAfterRounds();
    }

    private void assertUnavailable(int id, String context) {
        Reply r = post(balanceCall(id));
        System.out.printf("[health] %s: %d %s%n", context, r.status(), r.body());
        assertEquals(503, r.status(), context + ": " + r.body());
        JsonObject body = new JsonObject(r.body());
        assertEquals(id, body.getInteger("id"), r.body());
        assertEquals(-32002, body.getJsonObject("error").getInteger("code"), r.body());
    }

    // ------------------------------------------------------------------------------------------ helpers

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    /** The upstream in front of fake node i (FakeNodesResource names them node-0, node-1...). */
    private Upstream upstream(int i) {
        return pool().byName("node-" + i);
    }

    private record Reply(int status, String body) {
    }

    private Reply post(String body) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(endpoint.toString()))
                    .timeout(Duration.ofSeconds(15))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.body());
        } catch (Exception e) {
            return new Reply(-1, e.toString());
        }
    }

    private static String balanceCall(Object id) {
        return call(id, "eth_getBalance", "[\"0x" + "11".repeat(20) + "\",\"latest\"]");
    }

    private static String goodAnswer(Object id) {
        return result(id, GOOD);
    }

    private void expectGood(int id) {
        expectGood(balanceCall(id), id);
    }

    private void expectGood(String request, int id) {
        Reply r = post(request);
        assertEquals(200, r.status(), r.body());
        assertEquals(goodAnswer(id), r.body());
    }

    /**
     * 30 sequential reads while 4 other clients send 5 reads each: every answer must be exactly the good one.
     * Failures are collected and reported together, so a failing run shows all of them.
     */
    private void readsAllCorrect(String context) throws Exception {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> concurrent = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                concurrent.add(clients.submit(() -> {
                    for (int j = 0; j < 5; j++) {
                        check(1000 + thread * 100 + j, failures);
                    }
                }));
            }
            for (int i = 0; i < 30; i++) {
                check(i, failures);
            }
            for (Future<?> f : concurrent) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(List.of(), failures, context + ": " + failures.size() + " of 50 reads failed");
    }

    private void check(int id, List<String> failures) {
        Reply r = post(balanceCall(id));
        if (r.status() != 200 || !r.body().equals(goodAnswer(id))) {
            failures.add("id " + id + ": HTTP " + r.status() + " " + r.body());
        }
    }

    /** Readmission takes {@link #READMIT_ROUNDS} good rounds, one more when a round was under way as a node recovered. */
    private void allHealthyAfterRounds() {
        Probes.until("every upstream healthy", () -> pool().upstreams().stream().allMatch(Upstream::isHealthy), READMIT_ROUNDS + 1);
    }
}
