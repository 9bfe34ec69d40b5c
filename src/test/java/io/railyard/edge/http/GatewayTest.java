package io.railyard.edge.http;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocatorMetric;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.GatewayReply;
import io.railyard.core.RpcGateway;
import io.railyard.core.pipeline.AccessRecord;
import io.railyard.core.pipeline.RequestId;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.Probes;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.response.Response;
import io.vertx.core.Future;
import io.vertx.core.buffer.impl.VertxByteBufAllocator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;


import static io.railyard.testing.Rpc.rawCall;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.limits.max-body-bytes", value = "262144"),
        @ResourceArg(name = "railyard.limits.max-batch-items", value = "50"),
        // Probing rounds are run by the test (testing/Probes).
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class GatewayTest {

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @BeforeEach
    void allHealthy() {
        fakes.resetAll();
        Probes.allHealthy(pool());
        if (gateway.cache() != null) {
            gateway.cache().invalidateAll();
        }
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    static Response post(String path, String body) {
        return given().contentType("application/json").body(body).post(path);
    }

    @Test
    void singleRequestIsRelayedWithTheClientsIdAndTheNodesExactBytes() {
        String result = "{\"number\":\"0x10\",\"big\":123456789012345678901234567890123,\"f\":1.50}";
        fakes.nodes().forEach(n -> n.result("eth_getBlockByNumber", result));
        for (String id : new String[]{"1", "\"abc\"", "null", "98765432109876543210987654321", "\"é☃\""}) {
            Response r = post("/testnet", rawCall(id, "eth_getBlockByNumber", "[\"latest\",false]"));
            assertEquals(200, r.statusCode());
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}", r.asString());
        }
        assertEquals(5, fakes.calls("eth_getBlockByNumber"), "latest is never cached");
    }

    @Test
    void answersWrittenFromPooledDirectBuffersGoBackToThePool() {
        String block = "{\"logsBloom\":\"0x" + "ab".repeat(6500) + "\"}";
        fakes.nodes().forEach(n -> n.result("eth_getBlockByNumber", block));
        String expected = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":" + block + "}";
        assertEquals(expected, post("/testnet", rawCall(7, "eth_getBlockByNumber", "[\"0x10\",false]")).asString());
        PooledByteBufAllocatorMetric sockets = ((PooledByteBufAllocator) VertxByteBufAllocator.POOLED_ALLOCATOR).metric();
        long before = sockets.usedDirectMemory();
        for (int i = 0; i < 2000; i++) {
            assertEquals(expected, post("/testnet", rawCall(7, "eth_getBlockByNumber", "[\"0x10\",false]")).asString());
        }
        // Unreleased, 2,000 answers of 13 KB would hold about 26 MB of the pool; released, they reuse the same memory.
        long grown = sockets.usedDirectMemory() - before;
        assertTrue(grown < 8 << 20, "the socket buffer pool grew by " + grown + " bytes over 2,000 answers");
    }

    @Test
    void aBugWhileAnsweringStillGetsTheClientAJsonRpcErrorRatherThanNoAnswer() {
        QuarkusMock.installMockForType(new RpcGateway() {
            @Override
            public Future<GatewayReply> handle(UpstreamPool pool, byte[] body, String address, String presentedKey,
                                               CallScope scope, AccessRecord access, RequestId requestId,
                                               io.railyard.core.pipeline.Session session) {
                throw new IllegalStateException("a bug");
            }
        }, RpcGateway.class);
        Response r = given().contentType("application/json").body(rawCall(1, "eth_chainId", "[]"))
                .config(RestAssured.config().httpClient(HttpClientConfig.httpClientConfig().setParam("http.socket.timeout", 5000)))
                .post("/testnet");
        assertEquals(500, r.statusCode());
        assertEquals(-32603, r.jsonPath().getInt("error.code"), r.asString());
    }

    @Test
    void rootPathServesTheOnlyNetwork() {
        Response r = post("/", rawCall(1, "eth_chainId", "[]"));
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}", r.asString());
    }

    @Test
    void unknownNetworkIs404WithAJsonRpcError() {
        Response r = post("/nosuchnet", rawCall(1, "eth_chainId", "[]"));
        assertEquals(404, r.statusCode());
        JsonObject error = new JsonObject(r.asString()).getJsonObject("error");
        assertEquals(-32600, error.getInteger("code"));
        assertTrue(error.getString("message").contains("nosuchnet"));
        assertEquals(1, new JsonObject(r.asString()).getInteger("id"), "the request's id comes back (issue 16, finding 9)");
        Response batch = post("/nosuchnet", "[" + rawCall(5, "eth_chainId", "[]") + "," + rawCall(6, "eth_blockNumber", "[]") + "]");
        assertEquals(404, batch.statusCode());
        JsonArray answers = new JsonArray(batch.asString());
        assertEquals(5, answers.getJsonObject(0).getInteger("id"));
        assertEquals(6, answers.getJsonObject(1).getInteger("id"));
        assertEquals(-32600, answers.getJsonObject(1).getJsonObject("error").getInteger("code"));
    }

    @Test
    void batchAnswersInRequestOrderMixingCachedForwardedAndErroringItems() {
        fakes.nodes().forEach(n -> n
                .on("eth_getBlockByNumber", req -> new FakeUpstream.Result("{\"number\":\"" + req.getJsonArray("params").getString(0) + "\"}"))
                .on("eth_call", req -> new FakeUpstream.Error(3, "execution reverted")));
        // Warm the cache with final block 0x10 (finalized is 90).
        post("/testnet", rawCall(100, "eth_getBlockByNumber", "[\"0x10\",false]"));
        fakes.nodes().forEach(FakeUpstream::resetCounts);

        String batch = "[" + rawCall(1, "eth_getBlockByNumber", "[\"0x10\",false]") + ","
                + rawCall("\"two\"", "eth_getBlockByNumber", "[\"0x11\",false]") + ","
                + rawCall(3, "eth_call", "[{\"to\":\"0x01\"},\"latest\"]") + ","
                + "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\"},"
                + "{\"jsonrpc\":\"2.0\",\"id\":5},"
                + rawCall(6, "admin_peers", "[]") + ","
                + rawCall(7, "eth_chainId", "[]") + "]";
        Response r = post("/testnet", batch);
        assertEquals(200, r.statusCode());
        JsonArray answers = new JsonArray(r.asString());
        assertEquals(6, answers.size(), "the notification gets no entry");
        assertEquals(1, answers.getJsonObject(0).getInteger("id"));
        assertEquals("0x10", answers.getJsonObject(0).getJsonObject("result").getString("number"));
        assertEquals("two", answers.getJsonObject(1).getString("id"));
        assertEquals("0x11", answers.getJsonObject(1).getJsonObject("result").getString("number"));
        assertEquals(3, answers.getJsonObject(2).getJsonObject("error").getInteger("code"), "the node's own error passes through");
        assertEquals(-32600, answers.getJsonObject(3).getJsonObject("error").getInteger("code"));
        assertEquals(5, answers.getJsonObject(3).getInteger("id"));
        assertEquals(-32601, answers.getJsonObject(4).getJsonObject("error").getInteger("code"));
        assertEquals(6, answers.getJsonObject(4).getInteger("id"));
        assertEquals("0x1", answers.getJsonObject(5).getString("result"));

        assertEquals(1, fakes.calls("eth_getBlockByNumber"), "block 0x10 came from the cache, 0x11 from a node");
        assertEquals(1, fakes.calls("eth_call"));
        assertEquals(0, fakes.calls("admin_peers"), "a denied method never reaches a node");
            }

    private static String balances(int count) {
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            batch.append(i == 0 ? "" : ",").append(rawCall(i, "eth_getBalance", "[\"0x0" + i + "\",\"latest\"]"));
        }
        return batch.append(']').toString();
    }

    private static void assertBalances(Response r, int count) {
        JsonArray answers = new JsonArray(r.asString());
        assertEquals(count, answers.size());
        for (int i = 0; i < count; i++) {
            assertEquals(i, answers.getJsonObject(i).getInteger("id"));
            assertEquals("0x0" + i, answers.getJsonObject(i).getString("result"));
        }
    }

    @Test
    void uncachedReadsOfOneClientBatchReachANodeAsOneUpstreamBatch() {
        fakes.nodes().forEach(n -> n.on("eth_getBalance", req -> new FakeUpstream.Result("\"" + req.getJsonArray("params").getString(0) + "\"")));
        assertBalances(post("/testnet", balances(10)), 10);
        assertEquals(1, fakes.nodes().stream().mapToInt(FakeUpstream::batches).sum(), "one HTTP request to one node");
        assertEquals(10, fakes.calls("eth_getBalance"));
    }

    @Test
    void whenTheChosenNodeFailsTheWholeBatchEveryEntryFailsOverAlone() {
        fakes.nodes().forEach(n -> n.on("eth_getBalance", req -> new FakeUpstream.Result("\"" + req.getJsonArray("params").getString(0) + "\"")));
        fakes.get(0).on("eth_getBalance", req -> new FakeUpstream.Status(502, "bad gateway"));
        fakes.get(1).on("eth_getBalance", req -> new FakeUpstream.Status(502, "bad gateway"));
        for (int round = 0; round < 3; round++) {
            assertBalances(post("/testnet", balances(6)), 6);
        }
    }

    @Test
    void anEntryTheNodeLacksDataForFailsOverAloneWhileTheOthersKeepTheBatchAnswer() {
        fakes.nodes().forEach(n -> n.on("eth_getBalance", req -> new FakeUpstream.Result("\"" + req.getJsonArray("params").getString(0) + "\"")));
        fakes.get(0).on("eth_getBalance", req -> "0x03".equals(req.getJsonArray("params").getString(0))
                ? new FakeUpstream.Error(-32000, "header not found") : new FakeUpstream.Result("\"" + req.getJsonArray("params").getString(0) + "\""));
        for (int round = 0; round < 3; round++) {
            assertBalances(post("/testnet", balances(5)), 5);
        }
    }

    @Test
    void aNodeThatRefusesBatchesGetsTheEntriesOneByOne() {
        fakes.nodes().forEach(n -> n.rejectBatches(true)
                .on("eth_getBalance", req -> new FakeUpstream.Result("\"" + req.getJsonArray("params").getString(0) + "\"")));
        for (int round = 0; round < 3; round++) {
            assertBalances(post("/testnet", balances(4)), 4);
        }
        int batchesSent = fakes.nodes().stream().mapToInt(FakeUpstream::batches).sum();
        assertTrue(batchesSent <= 3, "each node is tried with a batch at most once (" + batchesSent + ")");
        assertTrue(pool().upstreams().stream().allMatch(u -> u.isHealthy()), "refusing batches is not a failure");
    }

    @Test
    void notificationIsForwardedAndAnsweredWithNoContent() {
        fakes.nodes().forEach(n -> n.result("eth_gasPrice", "\"0x1\""));
        Response r = post("/testnet", "{\"jsonrpc\":\"2.0\",\"method\":\"eth_gasPrice\",\"params\":[]}");
        assertEquals(204, r.statusCode());
        assertEquals("", r.asString());
        Await.until("notification forwarded", () -> fakes.calls("eth_gasPrice") == 1);
    }

    @Test
    void errorTableStatuses() {
        Response parse = post("/testnet", "{nope");
        assertEquals(200, parse.statusCode());
        assertEquals(-32700, new JsonObject(parse.asString()).getJsonObject("error").getInteger("code"));
        assertEquals(null, new JsonObject(parse.asString()).getValue("id"));

        Response empty = post("/testnet", "[]");
        assertEquals(200, empty.statusCode());
        assertEquals(-32600, new JsonObject(empty.asString()).getJsonObject("error").getInteger("code"));

        Response wrongVersion = post("/testnet", "{\"jsonrpc\":\"1.0\",\"id\":9,\"method\":\"eth_chainId\"}");
        assertEquals(200, wrongVersion.statusCode());
        assertEquals(9, new JsonObject(wrongVersion.asString()).getInteger("id"));
        assertEquals(-32600, new JsonObject(wrongVersion.asString()).getJsonObject("error").getInteger("code"));

        Response denied = post("/testnet", rawCall(1, "personal_unlockAccount", "[]"));
        assertEquals(-32601, new JsonObject(denied.asString()).getJsonObject("error").getInteger("code"));
        assertEquals(0, fakes.calls("personal_unlockAccount"));
    }

    @Test
    void bodyOverTheLimitIs413NamingTheLimit() {
        String big = rawCall(1, "eth_call", "[\"" + "a".repeat(300_000) + "\"]");
        Response r = post("/testnet", big);
        assertEquals(413, r.statusCode());
        JsonObject error = new JsonObject(r.asString()).getJsonObject("error");
        assertEquals(-32600, error.getInteger("code"));
        assertTrue(error.getString("message").contains("262144"), error.getString("message"));
        assertEquals(0, fakes.calls("eth_call"));
    }

    @Test
    void batchOverTheLimitIs413NamingTheLimit() {
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < 51; i++) {
            batch.append(i == 0 ? "" : ",").append(rawCall(i, "eth_chainId", "[]"));
        }
        Response r = post("/testnet", batch.append(']').toString());
        assertEquals(413, r.statusCode());
        assertTrue(new JsonObject(r.asString()).getJsonObject("error").getString("message").contains("50"));
    }

    @Test
    void readFailsOverWhenAnUpstreamRefusesConnections() {
        fakes.nodes().forEach(n -> n.result("eth_getBalance", "\"0x64\""));
        fakes.get(0).stop();
        try {
            // Straight away, before any probe has noticed: every read must still be answered.
            for (int i = 0; i < 9; i++) {
                Response r = post("/testnet", rawCall(i, "eth_getBalance", "[\"0x01\",\"latest\"]"));
                assertEquals("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"result\":\"0x64\"}", r.asString());
            }
            assertEquals(9, fakes.get(1).calls("eth_getBalance") + fakes.get(2).calls("eth_getBalance"));
        } finally {
            fakes.get(0).restart();
        }
    }

    @Test
    void readFailsOverOn5xxAndTimeouts() {
        fakes.get(0).on("eth_getCode", req -> new FakeUpstream.Status(502, "<html>bad gateway</html>"));
        fakes.get(1).on("eth_getCode", req -> new FakeUpstream.Hang());
        fakes.get(2).result("eth_getCode", "\"0x6000\"");
        for (int i = 0; i < 3; i++) {
            Response r = post("/testnet", rawCall(i, "eth_getCode", "[\"0x01\",\"latest\"]"));
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"result\":\"0x6000\"}", r.asString());
        }
    }

    @Test
    void noHealthyUpstreamIs503WithoutAskingAnyNode() {
        fakes.nodes().forEach(n -> n.everything(req -> new FakeUpstream.Status(500, "down")));
        Probes.until("all ejected", () -> !pool().hasHealthyUpstream(), 2);
        fakes.nodes().forEach(FakeUpstream::resetCounts);
        Response r = post("/testnet", rawCall(1, "eth_getBalance", "[\"0x01\",\"latest\"]"));
        assertEquals(503, r.statusCode());
        assertEquals(-32002, new JsonObject(r.asString()).getJsonObject("error").getInteger("code"));
        assertEquals(0, fakes.calls("eth_getBalance"), "no node is asked, so nothing is waited for");
        fakes.resetAll();
        Probes.until("readmitted", () -> pool().upstreams().stream().allMatch(u -> u.isHealthy()), 3);
    }

    @Test
    void rawTransactionIsBroadcastToEveryUpstreamAndAlreadyKnownCountsAsSuccess() {
        String raw = "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
        String hash = "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788";
        fakes.nodes().forEach(n -> n.on("eth_sendRawTransaction", req -> new FakeUpstream.Error(-32000, "already known")));
        Response r = post("/testnet", rawCall(1, "eth_sendRawTransaction", "[\"" + raw + "\"]"));
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"" + hash + "\"}", r.asString());
        Await.until("every node got it", () -> fakes.nodes().stream().allMatch(n -> n.calls("eth_sendRawTransaction") == 1));

        fakes.nodes().forEach(n -> n.on("eth_sendRawTransaction", req -> new FakeUpstream.Error(-32000, "nonce too low")));
        Response low = post("/testnet", rawCall(2, "eth_sendRawTransaction", "[\"" + raw + "\"]"));
        assertEquals("nonce too low", new JsonObject(low.asString()).getJsonObject("error").getString("message"));
    }
}
