package io.railyard.upstream;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.LogCapture;
import io.railyard.testing.Metrics;
import io.railyard.testing.Probes;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The network's view of the chain over three fake nodes: who elects the head when nodes hang, the panic rule when
 * none passes the health rules, and what clients see of the head while a node runs behind. The test runs the
 * probing rounds itself ({@code health.interval} is an hour): each assertion follows from the rounds run.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class ChainViewIntegrationTest {

    private static final String NET = FakeNodesResource.NETWORK;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @BeforeEach
    void allAtOneHead() {
        fakes.resetAll();
        fakes.nodes().forEach(n -> n.chain(1, pool().servedHead() < 0 ? 100 : pool().servedHead(), 90));
        Probes.round();
        Probes.until("all healthy", () -> pool().upstreams().stream().allMatch(Upstream::isHealthy) && !pool().inPanic(), 3);
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }

    private UpstreamPool pool() {
        return pools.pool(NET);
    }

    private static JsonObject rpc(String method, String params) {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":" + params + "}";
        return new JsonObject(given().contentType("application/json").body(body).post("/" + NET).asString());
    }

    @Test
    void twoHungNodesCannotGetTheLastAnsweringOneEjected() {
        long head = pool().servedHead();
        try (LogCapture log = LogCapture.ofPackage(HealthChecker.class)) {
            fakes.get(0).everything(req -> new FakeUpstream.Hang());
            fakes.get(1).everything(req -> new FakeUpstream.Hang());
            Probes.until("the hung nodes ejected", () -> !pool().upstreams().get(0).isHealthy() && !pool().upstreams().get(1).isHealthy(), 2);
            // The live node moves on, far past the hung nodes' last heads.
            fakes.get(2).head(head + 20);
            Probes.round();
            assertEquals(head + 20, pool().bestHead(), "the live node's head elected");
            assertTrue(pool().upstreams().get(2).isHealthy(), "the only answering node serves: " + pool().upstreams().get(2).stateReason());
            assertEquals(List.of(), log.matching("node-2 ejected"), "never ejected");
            assertEquals("0x" + Long.toHexString(head + 20), rpc("eth_blockNumber", "[]").getString("result"));
        }
    }

    @Test
    void whenNoUpstreamPassesTheRulesThePanicRuleServesFromThoseThatAnswer() throws Exception {
        try (LogCapture log = LogCapture.ofPackage(HealthChecker.class)) {
            fakes.nodes().forEach(FakeUpstream::stop);
            Probes.until("every upstream ejected", () -> pool().upstreams().stream().noneMatch(Upstream::isHealthy), 2);
            assertFalse(pool().inPanic(), "nobody answers: no panic, nothing to serve from");
            assertEquals(-32002, rpc("eth_blockNumber", "[]").getJsonObject("error").getInteger("code"));

            // Back, but ejected nodes need two good probes each before readmission: meanwhile the panic rule serves.
            fakes.nodes().forEach(FakeUpstream::restart);
            Probes.round();
            assertTrue(pool().inPanic(), "one good round: still ejected, served by the panic rule");
            assertTrue(rpc("eth_blockNumber", "[]").containsKey("result"), "served again");
            Probes.until("out of panic", () -> !pool().inPanic() && pool().upstreams().stream().allMatch(Upstream::isHealthy), 2);
            assertEquals(1, log.matching(NET + " in panic").size(), "the first round after the outage serves by the panic rule,"
                    + " logged once: " + log.messages());
            assertEquals(1, log.matching(NET + " out of panic").size(), "and its end is logged once: " + log.messages());
            assertEquals(0.0, Metrics.value(Metrics.scrape(), "railyard_network_panic{network=\"" + NET + "\"}"));
        }
    }

    @Test
    void aNodeBehindNeverAnswersLatestAndTheHeadNeverGoesBackwards() {
        long head = pool().servedHead();
        fakes.get(2).head(head - 3);
        fakes.nodes().forEach(n -> n.on("eth_getBalance", req -> new FakeUpstream.Result(
                "\"" + req.getJsonArray("params").getString(1) + "\"")));
        Probes.round();
        assertEquals(head - 3, pool().upstreams().get(2).head(), "the node behind is probed");
        fakes.nodes().forEach(FakeUpstream::resetCounts);
        for (int i = 0; i < 30; i++) {
            JsonObject balance = rpc("eth_getBalance", "[\"0x" + "11".repeat(20) + "\",\"latest\"]");
            assertEquals("0x" + Long.toHexString(head), balance.getString("result"), "latest goes out pinned to the served head");
        }
        assertEquals(0, fakes.get(2).calls("eth_getBalance"), "the node behind never answers a latest read");
        assertEquals(30, fakes.get(0).calls("eth_getBalance") + fakes.get(1).calls("eth_getBalance"));

        fakes.nodes().forEach(FakeUpstream::reset);
        for (int i = 0; i < 30; i++) {
            long shown = Long.decode(rpc("eth_blockNumber", "[]").getString("result"));
            assertTrue(shown >= head, "eth_blockNumber " + shown + " after " + head + " was served");
        }
        JsonObject status = new JsonObject(io.railyard.testing.Management.given().get("/status").asString()).getJsonObject("networks").getJsonObject(NET);
        assertEquals(head, status.getLong("servedHead"));
        assertEquals(false, status.getBoolean("panic"));
        assertEquals((double) head, Metrics.value(Metrics.scrape(), "railyard_network_head_block{network=\"" + NET + "\"}"));
    }

    /**
     * A wallet asks {@code eth_getTransactionCount(address, "pending")} for each nonce. A node behind the head the
     * network has served holds an older pending state and answers a nonce already used, so the wallet signs the same
     * transaction again (seen on the devnet while a node was being repaired: ethers sent five transactions and got
     * one hash back five times). Pending reads cannot be pinned to a block; they go to nodes at the served head.
     */
    @Test
    void pendingReadsGoOnlyToNodesAtTheServedHead() {
        long head = pool().servedHead();
        fakes.nodes().forEach(n -> n.result("eth_getTransactionCount", "\"0x5\""));
        fakes.get(2).result("eth_getTransactionCount", "\"0x4\"");
        fakes.get(2).head(head - 2);
        Probes.round();
        assertEquals(head - 2, pool().upstreams().get(2).head(), "the node behind is probed");
        assertTrue(pool().upstreams().get(2).isHealthy(), "two blocks behind is within max-lag: still serving");
        fakes.nodes().forEach(FakeUpstream::resetCounts);
        for (int i = 0; i < 30; i++) {
            JsonObject count = rpc("eth_getTransactionCount", "[\"0x" + "11".repeat(20) + "\",\"pending\"]");
            assertEquals("0x5", count.getString("result"), "read " + i + ": a nonce from the served head's pending state");
        }
        assertEquals(0, fakes.get(2).calls("eth_getTransactionCount"), "the node behind never answers a pending read");
        assertEquals(30, fakes.get(0).calls("eth_getTransactionCount") + fakes.get(1).calls("eth_getTransactionCount"));
    }

    @Test
    void safeReadsArePinnedToTheNetworksSafeBlockWhichNeverGoesBackwards() {
        fakes.nodes().forEach(n -> n.on("eth_getBalance", req -> new FakeUpstream.Result(
                "\"" + req.getJsonArray("params").getString(1) + "\"")));
        fakes.nodes().forEach(n -> n.safe(95));
        Probes.round();
        assertEquals(95, pool().servedSafe(), "the network's safe block");
        String safeBalance = "[\"0x" + "11".repeat(20) + "\",\"safe\"]";
        assertEquals("0x5f", rpc("eth_getBalance", safeBalance).getString("result"), "safe goes out pinned to the safe block");

        // One node reports an older safe block: the network's safe block is the lowest healthy one, but what
        // clients were shown as safe does not go back.
        fakes.get(2).safe(93);
        Probes.round();
        assertEquals(93, pool().upstreams().get(2).safe(), "the older safe block probed");
        for (int i = 0; i < 9; i++) {
            assertEquals("0x5f", rpc("eth_getBalance", safeBalance).getString("result"), "read " + i);
        }

        fakes.nodes().forEach(n -> n.safe(97));
        Probes.round();
        assertEquals(97, pool().servedSafe(), "safe moves on");
        assertEquals("0x61", rpc("eth_getBalance", safeBalance).getString("result"));

        // A node without the tag calls its finalized block safe; never below the network's finalized block.
        fakes.get(1).on(FakeUpstream.SAFE_PROBE, req -> new FakeUpstream.Error(-39001, "unknown block"));
        Probes.round();
        assertEquals(90, pool().upstreams().get(1).safe(), "the tagless node's safe block");
        assertEquals("0x61", rpc("eth_getBalance", safeBalance).getString("result"));
    }

    @Test
    void aNullForABlockTheNetworkHasServedMeansANodeBehindAndAnotherIsAsked() {
        long head = pool().servedHead();
        for (int i = 0; i < 3; i++) {
            boolean behind = i < 2;
            fakes.get(i).on("eth_getBlockByNumber", req -> {
                long asked = Long.decode(req.getJsonArray("params").getString(0));
                return new FakeUpstream.Result(behind || asked > head ? "null" : "{\"number\":\"0x" + Long.toHexString(asked) + "\"}");
            });
        }
        String served = "0x" + Long.toHexString(head);
        for (int i = 0; i < 6; i++) {
            JsonObject block = rpc("eth_getBlockByNumber", "[\"" + served + "\",false]").getJsonObject("result");
            assertEquals(served, block == null ? null : block.getString("number"), "read " + i + ": two of three nodes lack the block");
        }
        // A block past the served head may not exist yet: the first node's null stands, after one call.
        fakes.nodes().forEach(FakeUpstream::resetCounts);
        String future = "0x" + Long.toHexString(head + 5);
        assertTrue(rpc("eth_getBlockByNumber", "[\"" + future + "\",false]").containsKey("result"));
        assertEquals(null, rpc("eth_getBlockByNumber", "[\"" + future + "\",false]").getValue("result"));
        assertEquals(2, fakes.calls("eth_getBlockByNumber"), "one call per read of a block not mined yet");
    }
}
