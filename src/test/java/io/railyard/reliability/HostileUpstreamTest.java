package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.RpcGateway;
import io.railyard.reliability.HostileUpstream.Mode;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.Metrics;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One upstream passes every health probe but answers real traffic in a hostile way (garbage, HTML, truncated or
 * 1 GB bodies, wrong ids, another request's answer, hangs...). Every such answer must count as a failed call: the
 * client gets the right answer from another upstream, the bad answer is never cached, and what the gateway reads
 * from an upstream is bounded ({@code railyard.forward.max-response-bytes}, 64 KiB here).
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "count", value = "2"),
        @ResourceArg(name = "railyard.forward.max-response-bytes", value = "65536"),
        // The breaker is not what is tested here: the hostile node must keep getting traffic in every case.
        @ResourceArg(name = "railyard.health.circuit-breaker.request-volume", value = "100000")})
@QuarkusTestResource(value = HostileUpstream.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileUpstreamTest {

    private static final String NET = "network=\"testnet\"";
    private static final AtomicLong HASHES = new AtomicLong(0x1000);

    FakeNodes fakes;

    HostileUpstream hostile;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @BeforeEach
    void healthy() {
        hostile.mode = Mode.HONEST;
        hostile.honest = HostileUpstreamTest::block;
        fakes.resetAll();
        fakes.nodes().forEach(n -> n.on("eth_getBlockByHash", req -> new FakeUpstream.Result(block(req))));
        Await.allHealthy(pool());
        pool().upstreams().forEach(u -> u.breaker().reset());
        hostile.trafficCalls.set(0);
        hostile.batchCalls.set(0);
        hostile.bytesStreamed.set(0);
    }

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    /** The honest answer: a block whose hash is the one asked for. */
    static String block(JsonObject req) {
        return "{\"hash\":\"" + req.getJsonArray("params").getString(0) + "\",\"number\":\"0x5\"}";
    }

    private static String freshHash() {
        return "0x" + String.format("%064x", HASHES.incrementAndGet());
    }

    private static String ask(int id, String hash) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"eth_getBlockByHash\",\"params\":[\"" + hash + "\",false]}";
    }

    private static String good(int id, String hash) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"hash\":\"" + hash + "\",\"number\":\"0x5\"}}";
    }

    private static Response post(String body) {
        return given().contentType("application/json").body(body).post("/testnet");
    }

    private int nodeCalls() {
        return fakes.calls("eth_getBlockByHash") + hostile.trafficCalls.get();
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, mode = EnumSource.Mode.EXCLUDE, names = "HONEST")
    void aHostileAnswerIsAFailedCallTheClientGetsAnotherNodesAnswerAndNothingBadIsCached(Mode mode) {
        hostile.mode = mode;
        String before = Metrics.scrape();
        List<String> asked = new ArrayList<>();
        long slowest = 0;
        // Round-robin over three upstreams: a handful of fresh requests is bound to reach the hostile one.
        for (int i = 0; i < 20 && hostile.trafficCalls.get() < 2; i++) {
            String hash = freshHash();
            asked.add(hash);
            long started = System.nanoTime();
            Response r = post(ask(i, hash));
            slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            assertEquals(200, r.statusCode(), mode + ": " + r.asString());
            assertEquals(good(i, hash), r.asString(), mode + ": the client gets the good node's answer");
        }
        int hostileHits = hostile.trafficCalls.get();
        assertTrue(hostileHits >= 2, mode + ": the hostile node was asked (" + hostileHits + " times)");
        // Hangs cost one try timeout (1.5 s) each, nothing else may.
        assertTrue(slowest < 3000, mode + ": slowest answer took " + slowest + " ms");

        // Every answer the cache now holds is the good one, and it is served without asking any node again.
        expectEverythingCachedGood(mode, asked);

        String after = Metrics.scrape();
        double ok = delta(before, after, "railyard_upstream_requests_total{" + NET + ",outcome=\"ok\",upstream=\"" + HostileUpstream.NAME + "\"}");
        assertEquals(0, ok, mode + ": no hostile answer counted as a good one");
        String failureKind = expectedFailure(mode);
        double failed = delta(before, after, "railyard_upstream_requests_total{" + NET + ",outcome=\"" + failureKind
                + "\",upstream=\"" + HostileUpstream.NAME + "\"}");
        assertEquals(hostileHits, failed, mode + ": every hostile answer counted as a failed call (" + failureKind + ")");
        assertTrue(delta(before, after, "railyard_failovers_total{" + NET + "}") >= hostileHits, mode + ": each failed over");

        if (mode == Mode.HUGE_DECLARED || mode == Mode.HUGE_CHUNKED) {
            // Two 1 GB answers were offered; the gateway took no more than its limit plus what socket buffers hold.
            long streamed = hostile.bytesStreamed.get();
            System.out.printf("[hostile] %s: %d hits, %d bytes of 2 GB offered were written to the gateway's socket%n", mode, hostileHits, streamed);
            assertTrue(streamed < 32L << 20, mode + ": the hostile node got to send " + streamed + " bytes");
        }
    }

    @ParameterizedTest
    @Order(1)
    @EnumSource(value = Mode.class, mode = EnumSource.Mode.EXCLUDE, names = {"HONEST", "ARRAY_FOR_A_SINGLE_REQUEST"})
    void aHostileAnswerToABatchFailsOverEntryByEntryAndNothingBadIsCached(Mode mode) {
        hostile.mode = mode;
        List<String> asked = new ArrayList<>();
        // A client batch's plain reads go to one upstream as one batch: a few batches are bound to reach the hostile one.
        for (int b = 0; b < 12 && hostile.batchCalls.get() < 1; b++) {
            askBatchAndExpectGoodAnswers(mode, 4, asked);
        }
        assertTrue(hostile.batchCalls.get() >= 1, mode + ": the hostile node was sent a batch");
        expectEverythingCachedGood(mode, asked);
    }

    @Test
    @Order(Integer.MAX_VALUE) // last: a node that answers a batch with one object is not sent batches any more
    void aBatchAnsweredWithOneObjectIsSentEntryByEntry() {
        hostile.mode = Mode.ARRAY_FOR_A_SINGLE_REQUEST;
        List<String> asked = new ArrayList<>();
        for (int b = 0; b < 12 && hostile.batchCalls.get() < 1; b++) {
            askBatchAndExpectGoodAnswers(hostile.mode, 4, asked);
        }
        assertTrue(hostile.batchCalls.get() >= 1, "the hostile node was sent a batch");
        expectEverythingCachedGood(hostile.mode, asked);
    }

    private void askBatchAndExpectGoodAnswers(Mode mode, int size, List<String> asked) {
        JsonArray batch = new JsonArray();
        StringBuilder expected = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            String hash = freshHash();
            asked.add(hash);
            batch.add(new JsonObject(ask(i, hash)));
            expected.append(i == 0 ? "" : ",").append(good(i, hash));
        }
        Response r = post(batch.encode());
        assertEquals(200, r.statusCode(), mode + ": " + r.asString());
        assertEquals(expected.append(']').toString(), r.asString(), mode + ": every entry gets the good node's answer");
    }

    private void expectEverythingCachedGood(Mode mode, List<String> asked) {
        int callsBefore = nodeCalls();
        for (int i = 0; i < asked.size(); i++) {
            assertEquals(good(100 + i, asked.get(i)), post(ask(100 + i, asked.get(i))).asString(), mode + ": from the cache");
        }
        assertEquals(callsBefore, nodeCalls(), mode + ": the repeated requests were answered from the cache");
    }

    private static String expectedFailure(Mode mode) {
        return switch (mode) {
            case HANG, PARTIAL_THEN_HANG -> "timeout";
            case CLOSE, TRUNCATED_TRANSPORT -> "reset";
            default -> "bad_reply";
        };
    }

    @Test
    void whenEveryNodeAnswersBadlyTheClientGets503AndTheFailureIsNotCached() {
        hostile.mode = Mode.WRONG_ID;
        fakes.nodes().forEach(n -> n.on("eth_getBlockByHash", req -> new FakeUpstream.Raw(
                "{\"jsonrpc\":\"2.0\",\"id\":" + (req.getLong("id") + 7) + ",\"result\":" + HostileUpstream.EVIL + "}")));
        String hash = freshHash();
        Response r = post(ask(1, hash));
        assertEquals(503, r.statusCode(), r.asString());
        JsonObject error = new JsonObject(r.asString()).getJsonObject("error");
        assertEquals(-32002, error.getInteger("code"));
        assertEquals(1, new JsonObject(r.asString()).getInteger("id"));
        assertTrue(error.getString("message").contains("every upstream tried failed"), error.getString("message"));
        assertTrue(!r.asString().contains("evil"), "nothing of the bad answers reaches the client");

        // The nodes recover: the same request reaches a node again and gets the good answer (nothing was cached).
        hostile.mode = Mode.HONEST;
        fakes.nodes().forEach(n -> n.on("eth_getBlockByHash", req -> new FakeUpstream.Result(block(req))));
        int callsBefore = nodeCalls();
        assertEquals(good(2, hash), post(ask(2, hash)).asString());
        assertEquals(callsBefore + 1, nodeCalls(), "the request reached a node");
        assertEquals(good(3, hash), post(ask(3, hash)).asString());
        assertEquals(callsBefore + 1, nodeCalls(), "and now the good answer is cached");
    }

    @Test
    void everyEntryOfABatchGetsTheGoodAnswerWhileOneNodeAnswersGarbage() {
        hostile.mode = Mode.GARBAGE;
        JsonArray batch = new JsonArray();
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String hash = freshHash();
            hashes.add(hash);
            batch.add(new JsonObject(ask(i, hash)));
        }
        Response r = post(batch.encode());
        assertEquals(200, r.statusCode());
        StringBuilder expected = new StringBuilder("[");
        for (int i = 0; i < hashes.size(); i++) {
            expected.append(i == 0 ? "" : ",").append(good(i, hashes.get(i)));
        }
        assertEquals(expected.append(']').toString(), r.asString());
        assertTrue(hostile.trafficCalls.get() >= 1, "the hostile node got some of the batch");
    }

    @Test
    void aGoodAnswerJustUnderTheResponseLimitPassesAndOneJustOverFailsOver() {
        // 65536 bytes is the limit for the whole upstream answer, envelope included.
        String big = "\"0x" + "ab".repeat(30_000) + "\"";
        String tooBig = "\"0x" + "ab".repeat(33_000) + "\"";
        fakes.get(0).on("eth_getCode", req -> new FakeUpstream.Result(big));
        fakes.get(1).on("eth_getCode", req -> new FakeUpstream.Result(big));
        hostile.mode = Mode.HONEST;
        hostile.honest = req -> tooBig;
        for (int i = 0; i < 6; i++) {
            Response r = post("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"eth_getCode\",\"params\":[\"0x01\",\"latest\"]}");
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"result\":" + big + "}", r.asString());
        }
        assertTrue(hostile.trafficCalls.get() >= 1, "the node with the oversized answer was asked");
    }

    private static double delta(String before, String after, String series) {
        return Metrics.value(after, series) - Metrics.value(before, series);
    }
}
