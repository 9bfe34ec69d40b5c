package io.railyard.cache;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.RpcGateway;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.Probes;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.railyard.testing.Rpc.rawCall;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The response cache through the whole gateway against fake nodes, in the style of proxyd's caching_test.go:
 * a table of requests and the upstream calls two identical requests cost, then coalescing, finality changes,
 * reorgs and batches. The fake chain here has head 200 (0xc8) and finalized block 150 (0x96).
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.cache.max-bytes", value = "200000"),
        @ResourceArg(name = "railyard.forward.try-timeout", value = "4s"),
        @ResourceArg(name = "railyard.forward.request-timeout", value = "8s"),
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        // Probing rounds are run by the test (testing/Probes): finality moves when a test says so, not with the timer.
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class CacheIntegrationTest {

    static final String NET = FakeNodesResource.NETWORK;
    static final long HEAD = 200;
    static final long FINALIZED = 150;

    static final String BLOCK_HASH = "0x" + "11".repeat(32);
    static final String OTHER_HASH = "0x" + "12".repeat(32);
    static final String TX = "0x" + "22".repeat(32);
    static final String ADDR = "0x" + "33".repeat(20);
    static final String CALL = "{\"to\":\"" + ADDR + "\",\"data\":\"0x70a08231\"}";
    static final String RAW_TX = "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @TestHTTPResource("/testnet")
    URL url;

    @BeforeEach
    void freshChainAndEmptyCache() {
        fakes.resetAll();
        fakes.nodes().forEach(n -> n.chain(1, HEAD, FINALIZED));
        Probes.round();
        Probes.until("all upstreams healthy at head " + HEAD + ", finalized " + FINALIZED, () ->
                pool().upstreams().stream().allMatch(u -> u.isHealthy() && u.head() == HEAD && u.finalized() == FINALIZED)
                        && pool().finalized() == FINALIZED, 3);
        gateway.cache().invalidateAll();
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }

    private UpstreamPool pool() {
        return pools.pool(NET);
    }

    // ------------------------------------------------------------------ helpers

    static Response post(String body) {
        return given().contentType("application/json").body(body).post("/" + NET);
    }

    static String send(Object id, String method, String params) {
        Response r = post(rawCall(id, method, params));
        assertEquals(200, r.statusCode(), r.asString());
        return r.asString();
    }

    static String envelope(Object id, FakeUpstream.Reply reply) {
        if (reply instanceof FakeUpstream.Result r) {
            return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + r.json() + "}";
        }
        FakeUpstream.Error e = (FakeUpstream.Error) reply;
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":" + e.code() + ",\"message\":\"" + e.message() + "\"}}";
    }

    static String ok(Object id, String resultJson) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + resultJson + "}";
    }

    static String hex(long n) {
        return "0x" + Long.toHexString(n);
    }

    static String block(long number, String hash) {
        return "{\"number\":\"" + hex(number) + "\",\"hash\":\"" + hash + "\",\"parentHash\":\"" + OTHER_HASH
                + "\",\"transactions\":[\"" + TX + "\"]}";
    }

    static String tx(String blockNumber, String blockHash) {
        return "{\"hash\":\"" + TX + "\",\"blockNumber\":" + blockNumber + ",\"blockHash\":" + blockHash
                + ",\"transactionIndex\":\"0x0\",\"from\":\"" + ADDR + "\",\"nonce\":\"0x7\"}";
    }

    static String minedTx(long number, String hash) {
        return tx("\"" + hex(number) + "\"", "\"" + hash + "\"");
    }

    static String receipt(long number, String hash) {
        return "{\"transactionHash\":\"" + TX + "\",\"blockNumber\":\"" + hex(number) + "\",\"blockHash\":\"" + hash
                + "\",\"status\":\"0x1\",\"logs\":[]}";
    }

    static String hashOf(String n) {
        return "0x" + n.repeat(64).substring(0, 64);
    }

    private void everyNode(String method, java.util.function.Function<JsonObject, FakeUpstream.Reply> handler) {
        fakes.nodes().forEach(n -> n.on(method, handler));
    }

    private void everyNodeAnswers(String method, String resultJson) {
        everyNode(method, req -> new FakeUpstream.Result(resultJson));
    }

    private boolean stored(String method, String params) {
        return gateway.cache().get(CacheKey.of(NET, method, params.getBytes(StandardCharsets.UTF_8))) != null;
    }

    private void moveFinalizedTo(long n) {
        fakes.nodes().forEach(f -> f.finalized(n));
        Probes.round();
        assertEquals(n, pool().finalized(), "the network's finalized block");
    }

    // ------------------------------------------------------------------ the table

    /**
     * One request sent twice with different ids.
     *
     * @param calls upstream calls the two requests cost together: 1 when the second is a cache hit
     * @param cached whether the answer ends up in the cache
     */
    record Row(String name, String method, String params, FakeUpstream.Reply reply, int calls, boolean cached) {
        @Override
        public String toString() {
            return name + " → " + calls + (cached ? " (cached)" : " (not cached)");
        }
    }

    static Row hit(String name, String method, String params, String result) {
        return new Row(name, method, params, new FakeUpstream.Result(result), 1, true);
    }

    static Row miss(String name, String method, String params, String result) {
        return new Row(name, method, params, new FakeUpstream.Result(result), 2, false);
    }

    static Row miss(String name, String method, String params, FakeUpstream.Reply reply, int calls) {
        return new Row(name, method, params, reply, calls, false);
    }

    static Stream<Row> table() {
        String blk = block(100, BLOCK_HASH);
        String log = "[{\"address\":\"" + ADDR + "\",\"blockNumber\":\"0x64\",\"blockHash\":\"" + BLOCK_HASH + "\",\"topics\":[],\"data\":\"0x\"}]";
        String proof = "{\"address\":\"" + ADDR + "\",\"balance\":\"0x0\",\"accountProof\":[]}";
        String at = "[\"" + ADDR + "\",";
        return Stream.of(
                // ---- cacheable: the second request is answered from memory
                hit("net_version", "net_version", "[]", "\"1\""),
                hit("getBlockByHash", "eth_getBlockByHash", "[\"" + BLOCK_HASH + "\",false]", blk),
                hit("getBlockByHash full", "eth_getBlockByHash", "[\"" + BLOCK_HASH + "\",true]", blk),
                hit("getBlockTransactionCountByHash", "eth_getBlockTransactionCountByHash", "[\"" + BLOCK_HASH + "\"]", "\"0x1\""),
                hit("getTransactionByBlockHashAndIndex", "eth_getTransactionByBlockHashAndIndex", "[\"" + BLOCK_HASH + "\",\"0x0\"]", minedTx(100, BLOCK_HASH)),
                hit("getUncleByBlockHashAndIndex", "eth_getUncleByBlockHashAndIndex", "[\"" + BLOCK_HASH + "\",\"0x0\"]", block(99, OTHER_HASH)),
                hit("getBlockReceipts by hash", "eth_getBlockReceipts", "[\"" + BLOCK_HASH + "\"]", "[" + receipt(100, BLOCK_HASH) + "]"),
                hit("getBlockByNumber final", "eth_getBlockByNumber", "[\"0x64\",false]", blk),
                hit("getBlockByNumber = finalized", "eth_getBlockByNumber", "[\"0x96\",true]", block(150, BLOCK_HASH)),
                hit("getBlockByNumber earliest", "eth_getBlockByNumber", "[\"earliest\",false]", block(0, BLOCK_HASH)),
                hit("getBlockByNumber leading zeros", "eth_getBlockByNumber", "[\"0x0064\",false]", blk),
                hit("getBlockTransactionCountByNumber final", "eth_getBlockTransactionCountByNumber", "[\"0x64\"]", "\"0x1\""),
                hit("getTransactionByBlockNumberAndIndex final", "eth_getTransactionByBlockNumberAndIndex", "[\"0x64\",\"0x0\"]", minedTx(100, BLOCK_HASH)),
                hit("getBlockReceipts final", "eth_getBlockReceipts", "[\"0x64\"]", "[" + receipt(100, BLOCK_HASH) + "]"),
                hit("getBlockReceipts final, empty", "eth_getBlockReceipts", "[\"0x65\"]", "[]"),
                hit("getBalance final", "eth_getBalance", at + "\"0x64\"]", "\"0xde0b6b3a7640000\""),
                hit("getBalance EIP-1898 blockHash", "eth_getBalance", at + "{\"blockHash\":\"" + BLOCK_HASH + "\"}]", "\"0x1\""),
                hit("getBalance EIP-1898 blockHash requireCanonical=false", "eth_getBalance", at + "{\"blockHash\":\"" + BLOCK_HASH + "\",\"requireCanonical\":false}]", "\"0x1\""),
                hit("getBalance EIP-1898 final blockNumber", "eth_getBalance", at + "{\"blockNumber\":\"0x64\"}]", "\"0x1\""),
                hit("getBalance earliest", "eth_getBalance", at + "\"earliest\"]", "\"0x0\""),
                hit("getCode final", "eth_getCode", at + "\"0x64\"]", "\"0x6080\""),
                hit("getCode final, empty code", "eth_getCode", at + "\"0x63\"]", "\"0x\""),
                hit("getStorageAt final", "eth_getStorageAt", at + "\"0x0\",\"0x64\"]", "\"0x" + "00".repeat(32) + "\""),
                hit("getTransactionCount final", "eth_getTransactionCount", at + "\"0x64\"]", "\"0x7\""),
                hit("call final", "eth_call", "[" + CALL + ",\"0x64\"]", "\"0x" + "00".repeat(31) + "05\""),
                hit("call EIP-1898 blockHash", "eth_call", "[" + CALL + ",{\"blockHash\":\"" + BLOCK_HASH + "\"}]", "\"0x05\""),
                hit("getProof final", "eth_getProof", at + "[\"0x0\"],\"0x64\"]", proof),
                hit("getLogs final range", "eth_getLogs", "[{\"fromBlock\":\"0x60\",\"toBlock\":\"0x96\"}]", log),
                hit("getLogs final range, empty", "eth_getLogs", "[{\"fromBlock\":\"earliest\",\"toBlock\":\"0x64\",\"address\":\"" + ADDR + "\"}]", "[]"),
                hit("getLogs blockHash", "eth_getLogs", "[{\"blockHash\":\"" + BLOCK_HASH + "\"}]", log),
                hit("getTransactionByHash in a final block", "eth_getTransactionByHash", "[\"" + TX + "\"]", minedTx(100, BLOCK_HASH)),
                hit("getTransactionReceipt in the finalized block", "eth_getTransactionReceipt", "[\"" + TX + "\"]", receipt(150, BLOCK_HASH)),

                // ---- never cached: every request reaches a node
                miss("getBlockByNumber latest", "eth_getBlockByNumber", "[\"latest\",false]", block(200, BLOCK_HASH)),
                miss("getBlockByNumber pending", "eth_getBlockByNumber", "[\"pending\",false]", block(201, BLOCK_HASH)),
                miss("getBlockByNumber safe", "eth_getBlockByNumber", "[\"safe\",false]", block(140, BLOCK_HASH)),
                miss("getBlockByNumber above finalized", "eth_getBlockByNumber", "[\"0xa0\",false]", block(160, BLOCK_HASH)),
                miss("getBlockByNumber finalized+1", "eth_getBlockByNumber", "[\"0x97\",false]", block(151, BLOCK_HASH)),
                miss("getBlockByNumber above finalized, leading zeros", "eth_getBlockByNumber", "[\"0x00a0\",false]", block(160, BLOCK_HASH)),
                miss("getBlockByNumber JSON number (not a quantity)", "eth_getBlockByNumber", "[100,false]", blk),
                // A null for a block the network has served means a node behind: every node is asked (3 per request).
                miss("getBlockByNumber final, null result", "eth_getBlockByNumber", "[\"0x64\",false]", new FakeUpstream.Result("null"), 6),
                miss("getBlockByNumber past the head, null result", "eth_getBlockByNumber", "[\"0xffffff\",false]", "null"),
                miss("getBlockByNumber final, invalid-params error", "eth_getBlockByNumber", "[\"0x64\",false]",
                        new FakeUpstream.Error(-32602, "invalid argument 1"), 2),
                miss("getTransactionByBlockNumberAndIndex latest", "eth_getTransactionByBlockNumberAndIndex", "[\"latest\",\"0x0\"]", minedTx(200, BLOCK_HASH)),
                miss("getBlockReceipts above finalized", "eth_getBlockReceipts", "[\"0xa0\"]", "[" + receipt(160, BLOCK_HASH) + "]"),
                miss("getBlockReceipts above finalized, empty", "eth_getBlockReceipts", "[\"0xa0\"]", "[]"),
                miss("getBlockReceipts by hash, empty", "eth_getBlockReceipts", "[\"" + BLOCK_HASH + "\"]", "[]"),
                miss("getBalance no block (latest)", "eth_getBalance", "[\"" + ADDR + "\"]", "\"0x1\""),
                miss("getBalance latest", "eth_getBalance", at + "\"latest\"]", "\"0x1\""),
                miss("getBalance pending", "eth_getBalance", at + "\"pending\"]", "\"0x1\""),
                miss("getBalance safe", "eth_getBalance", at + "\"safe\"]", "\"0x1\""),
                miss("getBalance finalized tag", "eth_getBalance", at + "\"finalized\"]", "\"0x1\""),
                miss("getBalance EIP-1898 blockNumber above finalized", "eth_getBalance", at + "{\"blockNumber\":\"0xa0\"}]", "\"0x1\""),
                miss("getBalance EIP-1898 blockNumber latest", "eth_getBalance", at + "{\"blockNumber\":\"latest\"}]", "\"0x1\""),
                miss("getBalance EIP-1898 requireCanonical=true", "eth_getBalance", at + "{\"blockHash\":\"" + BLOCK_HASH + "\",\"requireCanonical\":true}]", "\"0x1\""),
                miss("getStorageAt pending", "eth_getStorageAt", at + "\"0x0\",\"pending\"]", "\"0x" + "00".repeat(32) + "\""),
                miss("getCode above finalized", "eth_getCode", at + "\"0xa0\"]", "\"0x6080\""),
                miss("call latest", "eth_call", "[" + CALL + ",\"latest\"]", "\"0x05\""),
                miss("call final, reverted", "eth_call", "[" + CALL + ",\"0x64\"]", new FakeUpstream.Error(3, "execution reverted"), 2),
                miss("call final, node error", "eth_call", "[" + CALL + ",\"0x64\"]", new FakeUpstream.Error(-32000, "out of gas"), 2),
                miss("getProof latest", "eth_getProof", at + "[],\"latest\"]", proof),
                miss("getLogs straddling finalized", "eth_getLogs", "[{\"fromBlock\":\"0x90\",\"toBlock\":\"0xa0\"}]", log),
                miss("getLogs ending at finalized+1", "eth_getLogs", "[{\"fromBlock\":\"0x60\",\"toBlock\":\"0x97\"}]", log),
                miss("getLogs straddling finalized, empty", "eth_getLogs", "[{\"fromBlock\":\"0x90\",\"toBlock\":\"0xa0\"}]", "[]"),
                miss("getLogs no toBlock (latest)", "eth_getLogs", "[{\"fromBlock\":\"0x60\"}]", log),
                miss("getLogs toBlock latest", "eth_getLogs", "[{\"fromBlock\":\"0x60\",\"toBlock\":\"latest\"}]", log),
                miss("getLogs toBlock finalized tag", "eth_getLogs", "[{\"fromBlock\":\"0x60\",\"toBlock\":\"finalized\"}]", log),
                miss("getLogs blockHash, empty", "eth_getLogs", "[{\"blockHash\":\"" + BLOCK_HASH + "\"}]", "[]"),
                miss("getTransactionByHash in a block above finalized", "eth_getTransactionByHash", "[\"" + TX + "\"]", minedTx(160, BLOCK_HASH)),
                miss("getTransactionByHash pending", "eth_getTransactionByHash", "[\"" + TX + "\"]", tx("null", "null")),
                miss("getTransactionReceipt in a block above finalized", "eth_getTransactionReceipt", "[\"" + TX + "\"]", receipt(151, BLOCK_HASH)),
                // A null answer for these is asked of one more node before it is believed: 2 calls per request.
                miss("getTransactionReceipt null", "eth_getTransactionReceipt", "[\"" + TX + "\"]", new FakeUpstream.Result("null"), 4),
                miss("getBlockByHash null", "eth_getBlockByHash", "[\"" + BLOCK_HASH + "\",false]", new FakeUpstream.Result("null"), 4),
                miss("gasPrice", "eth_gasPrice", "[]", "\"0x3b9aca00\""),
                miss("maxPriorityFeePerGas", "eth_maxPriorityFeePerGas", "[]", "\"0x1\""),
                miss("feeHistory final", "eth_feeHistory", "[\"0x4\",\"0x64\",[25,75]]", "{\"oldestBlock\":\"0x61\",\"baseFeePerGas\":[]}"),
                miss("estimateGas final", "eth_estimateGas", "[" + CALL + ",\"0x64\"]", "\"0x5208\""),
                miss("newFilter", "eth_newFilter", "[{\"fromBlock\":\"0x64\",\"toBlock\":\"0x64\"}]", "\"0x7\""),
                miss("getFilterChanges", "eth_getFilterChanges", "[\"0x7\"]", "[]"),
                miss("unknown method", "eth_somethingNew", "[\"0x64\"]", "\"0x1\""),
                // A signed transaction is broadcast to all three nodes, every time.
                miss("sendRawTransaction", "eth_sendRawTransaction", "[\"" + RAW_TX + "\"]",
                        new FakeUpstream.Result("\"0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788\""), 6));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void twoIdenticalRequestsCostTheExpectedUpstreamCalls(Row row) {
        everyNode(row.method(), req -> row.reply());
        assertEquals(envelope(1, row.reply()), send(1, row.method(), row.params()), "first answer");
        assertEquals(envelope("\"second\"", row.reply()), send("\"second\"", row.method(), row.params()),
                "second answer, with the second request's id");
        if (row.calls() > 2) {
            // A broadcast answers on the first success; the other sends may still be landing.
            Await.until(row.calls() + " upstream calls", () -> fakes.calls(row.method()) >= row.calls());
        }
        assertEquals(row.calls(), fakes.calls(row.method()), "upstream calls for two identical requests");
        assertEquals(row.cached(), stored(row.method(), row.params()), "stored in the cache");
    }

    @Test
    void tableHasEnoughRows() {
        assertTrue(table().count() >= 60, "rows: " + table().count());
        assertTrue(table().filter(Row::cached).count() >= 25);
    }

    /** Probed methods cannot be counted (the health checker calls them too): judged by the answers instead. */
    @Test
    void blockNumberIsNeverCached() {
        AtomicReference<String> head = new AtomicReference<>(FakeUpstream.quoted(HEAD));
        everyNode("eth_blockNumber", req -> new FakeUpstream.Result(head.get()));
        assertEquals(ok(1, "\"0xc8\""), send(1, "eth_blockNumber", "[]"));
        head.set(FakeUpstream.quoted(HEAD + 1));
        assertEquals(ok(2, "\"0xc9\""), send(2, "eth_blockNumber", "[]"), "the new head, not a cached one");
        assertFalse(stored("eth_blockNumber", "[]"));
    }

    @Test
    void chainIdIsCachedForTheLifeOfTheNetwork() {
        assertEquals(ok(1, "\"0x1\""), send(1, "eth_chainId", "[]"));
        assertTrue(stored("eth_chainId", "[]"));
        assertEquals(ok("\"x\"", "\"0x1\""), send("\"x\"", "eth_chainId", "[]"));
    }

    // ------------------------------------------------------------------ keys and ids

    @Test
    void formattingAndKeyOrderShareAnEntryButQuantitiesDoNot() {
        everyNodeAnswers("eth_call", "\"0x05\"");
        send(1, "eth_call", "[{\"to\":\"" + ADDR + "\",\"data\":\"0x70a08231\"},\"0x64\"]");
        send(2, "eth_call", "[ {\n \"data\" : \"0x70a08231\" ,\t\"to\":\"" + ADDR + "\" } , \"0x64\" ]");
        assertEquals(1, fakes.calls("eth_call"), "whitespace and key order do not split the cache");
        send(3, "eth_call", "[{\"to\":\"" + ADDR + "\",\"data\":\"0x70a08231\"},\"0x064\"]");
        assertEquals(2, fakes.calls("eth_call"), "\"0x064\" is not rewritten to \"0x64\"");
        String lower = "0x" + "ab".repeat(20);
        String mixed = "0x" + "aB".repeat(20);
        send(4, "eth_call", "[{\"to\":\"" + lower + "\"},\"0x64\"]");
        send(5, "eth_call", "[{\"to\":\"" + mixed + "\"},\"0x64\"]");
        assertEquals(4, fakes.calls("eth_call"), "values are never rewritten, not even the case of an address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"7", "\"abc\"", "98765432109876543210987654321", "-3", "1.50", "1e3", "null", "\"\"",
            "\"\\u00e9\\\"quoted\\\" \\\\ é☃\"", "\"0x64\""})
    void cachedAnswerCarriesTheClientsIdByteForByte(String id) {
        String result = "{\"number\":\"0x64\",\"big\":123456789012345678901234567890123,\"f\":1.50}";
        everyNodeAnswers("eth_getBlockByNumber", result);
        assertEquals(ok("\"warm\"", result), send("\"warm\"", "eth_getBlockByNumber", "[\"0x64\",false]"));
        assertEquals(ok(id, result), send(id, "eth_getBlockByNumber", "[\"0x64\",false]"));
        assertEquals(ok(id, result), send(id, "eth_getBlockByNumber", "[\"0x64\",false]"));
        assertEquals(1, fakes.calls("eth_getBlockByNumber"));
    }

    // ------------------------------------------------------------------ coalescing

    private List<CompletableFuture<HttpResponse<String>>> sendConcurrently(HttpClient client, int n, String method, String params) {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = i % 2 == 0 ? Integer.toString(1000 + i) : "\"client-" + i + "\"";
            HttpRequest request = HttpRequest.newBuilder(URI.create(url.toString()))
                    .timeout(Duration.ofSeconds(20))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(rawCall(id, method, params)))
                    .build();
            responses.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        return responses;
    }

    private static String idOf(int i) {
        return i % 2 == 0 ? Integer.toString(1000 + i) : "\"client-" + i + "\"";
    }

    @Test
    void hundredConcurrentIdenticalRequestsCostOneUpstreamCallAndEachGetsItsOwnId() throws Exception {
        String result = block(100, BLOCK_HASH);
        everyNodeAnswers("eth_getBlockByNumber", result);
        fakes.nodes().forEach(n -> n.latency(300));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<HttpResponse<String>>> responses = sendConcurrently(client, 100, "eth_getBlockByNumber", "[\"0x64\",false]");
        CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < responses.size(); i++) {
            HttpResponse<String> r = responses.get(i).get();
            assertEquals(200, r.statusCode());
            assertEquals(ok(idOf(i), result), r.body(), "client " + i);
        }
        assertEquals(1, fakes.calls("eth_getBlockByNumber"), "one upstream call for 100 identical requests");
    }

    /**
     * A transaction in a block that is not final may be asked once for everyone waiting at the same moment, but
     * the answer is not kept: this isolates coalescing from caching.
     */
    @Test
    void concurrentIdenticalRequestsShareOneCallEvenWhenTheAnswerIsNotStored() throws Exception {
        String result = receipt(160, BLOCK_HASH);
        everyNodeAnswers("eth_getTransactionReceipt", result);
        fakes.nodes().forEach(n -> n.latency(350));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<HttpResponse<String>>> responses = sendConcurrently(client, 50, "eth_getTransactionReceipt", "[\"" + TX + "\"]");
        CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < responses.size(); i++) {
            assertEquals(ok(idOf(i), result), responses.get(i).get().body(), "client " + i);
        }
        int calls = fakes.calls("eth_getTransactionReceipt");
        assertTrue(calls >= 1 && calls <= 3, "50 requests in flight together share calls, got " + calls);
        assertFalse(stored("eth_getTransactionReceipt", "[\"" + TX + "\"]"), "block 160 is not final: not kept");
        fakes.nodes().forEach(n -> n.latency(0));
        send(1, "eth_getTransactionReceipt", "[\"" + TX + "\"]");
        assertEquals(calls + 1, fakes.calls("eth_getTransactionReceipt"), "once done, the next request asks a node again");
    }

    // ------------------------------------------------------------------ finality

    @Test
    void blockAboveFinalizedIsCachedOnlyOnceItIsFinal() {
        String params = "[\"0xa0\",false]";
        everyNodeAnswers("eth_getBlockByNumber", block(160, BLOCK_HASH));
        send(1, "eth_getBlockByNumber", params);
        send(2, "eth_getBlockByNumber", params);
        assertEquals(2, fakes.calls("eth_getBlockByNumber"), "block 160 is above finalized 150");
        assertFalse(stored("eth_getBlockByNumber", params));

        moveFinalizedTo(170);
        assertEquals(ok(3, block(160, BLOCK_HASH)), send(3, "eth_getBlockByNumber", params));
        assertEquals(3, fakes.calls("eth_getBlockByNumber"));
        assertTrue(stored("eth_getBlockByNumber", params), "final now");
        assertEquals(ok(4, block(160, BLOCK_HASH)), send(4, "eth_getBlockByNumber", params));
        assertEquals(3, fakes.calls("eth_getBlockByNumber"), "served from the cache");
    }

    @Test
    void receiptIsCachedOnlyOnceItsBlockIsFinal() {
        String params = "[\"" + TX + "\"]";
        everyNodeAnswers("eth_getTransactionReceipt", receipt(160, BLOCK_HASH));
        send(1, "eth_getTransactionReceipt", params);
        send(2, "eth_getTransactionReceipt", params);
        assertEquals(2, fakes.calls("eth_getTransactionReceipt"));

        moveFinalizedTo(160);
        send(3, "eth_getTransactionReceipt", params);
        send(4, "eth_getTransactionReceipt", params);
        assertEquals(3, fakes.calls("eth_getTransactionReceipt"), "block 160 is final now: the first answer is kept");
    }

    @Test
    void logsRangeIsCachedOnceItsUpperEndIsFinal() {
        String params = "[{\"fromBlock\":\"0x90\",\"toBlock\":\"0xa0\"}]";
        everyNodeAnswers("eth_getLogs", "[]");
        send(1, "eth_getLogs", params);
        send(2, "eth_getLogs", params);
        assertEquals(2, fakes.calls("eth_getLogs"));
        moveFinalizedTo(160);
        send(3, "eth_getLogs", params);
        send(4, "eth_getLogs", params);
        assertEquals(3, fakes.calls("eth_getLogs"));
    }

    // ------------------------------------------------------------------ reorg safety

    @Test
    void reorgedBlockIsNeverServedStale() {
        String params = "[\"0xa0\",false]";
        String a = block(160, hashOf("a"));
        String b = block(160, hashOf("b"));
        AtomicReference<String> canonical = new AtomicReference<>(a);
        everyNode("eth_getBlockByNumber", req -> new FakeUpstream.Result(canonical.get()));

        assertEquals(ok(1, a), send(1, "eth_getBlockByNumber", params));
        assertEquals(ok(2, a), send(2, "eth_getBlockByNumber", params));
        canonical.set(b); // block 160 (not final) is replaced
        assertEquals(ok(3, b), send(3, "eth_getBlockByNumber", params), "after the reorg, block B and never A");
        assertEquals(ok(4, b), send(4, "eth_getBlockByNumber", params));
        // The same block written with leading zeros (its own key) is not stale either.
        assertEquals(ok(5, b), send(5, "eth_getBlockByNumber", "[\"0x00a0\",false]"));

        moveFinalizedTo(170);
        assertEquals(ok(6, b), send(6, "eth_getBlockByNumber", params));
        int calls = fakes.calls("eth_getBlockByNumber");
        assertEquals(ok(7, b), send(7, "eth_getBlockByNumber", params));
        assertEquals(calls, fakes.calls("eth_getBlockByNumber"), "final now: B is served from the cache");
    }

    @Test
    void transactionThatMovedInAReorgIsNeverServedFromItsOldBlock() {
        String params = "[\"" + TX + "\"]";
        AtomicReference<String> tx = new AtomicReference<>(minedTx(160, hashOf("a")));
        AtomicReference<String> rcpt = new AtomicReference<>(receipt(160, hashOf("a")));
        everyNode("eth_getTransactionByHash", req -> new FakeUpstream.Result(tx.get()));
        everyNode("eth_getTransactionReceipt", req -> new FakeUpstream.Result(rcpt.get()));

        assertEquals(ok(1, tx.get()), send(1, "eth_getTransactionByHash", params));
        assertEquals(ok(2, rcpt.get()), send(2, "eth_getTransactionReceipt", params));

        // Reorg: block 160 is replaced and the transaction is now mined in block 162 of the new branch.
        tx.set(minedTx(162, hashOf("b")));
        rcpt.set(receipt(162, hashOf("b")));
        assertEquals(ok(3, tx.get()), send(3, "eth_getTransactionByHash", params), "the transaction's new block");
        assertEquals(ok(4, rcpt.get()), send(4, "eth_getTransactionReceipt", params), "the receipt's new block");

        // Dropped back to the mempool by a second reorg: pending, then mined again.
        tx.set(tx("null", "null"));
        rcpt.set("null");
        assertEquals(ok(5, tx("null", "null")), send(5, "eth_getTransactionByHash", params));
        assertEquals(ok(6, "null"), send(6, "eth_getTransactionReceipt", params));

        tx.set(minedTx(165, hashOf("c")));
        rcpt.set(receipt(165, hashOf("c")));
        moveFinalizedTo(170);
        assertEquals(ok(7, tx.get()), send(7, "eth_getTransactionByHash", params));
        assertEquals(ok(8, rcpt.get()), send(8, "eth_getTransactionReceipt", params));
        int calls = fakes.calls("eth_getTransactionByHash") + fakes.calls("eth_getTransactionReceipt");
        assertEquals(ok(9, tx.get()), send(9, "eth_getTransactionByHash", params));
        assertEquals(ok(10, rcpt.get()), send(10, "eth_getTransactionReceipt", params));
        assertEquals(calls, fakes.calls("eth_getTransactionByHash") + fakes.calls("eth_getTransactionReceipt"),
                "final now: served from the cache");
    }

    /**
     * A node answers with the transaction in block 160 (not final); while that answer is on the wire, the chain
     * reorganises (the transaction moves to block 161) and finality passes both blocks. The late answer was true
     * when it was made, but it is no longer any node's answer, so it must not be kept.
     */
    @Test
    void answerMadeBeforeFinalityMovedIsNotStoredWhenItArrivesAfter() throws Exception {
        String params = "[\"" + TX + "\"]";
        String before = minedTx(160, hashOf("a"));
        String after = minedTx(161, hashOf("b"));
        AtomicReference<String> canonical = new AtomicReference<>(before);
        // The fake computes its reply when the call arrives and sends it after its latency.
        everyNode("eth_getTransactionByHash", req -> new FakeUpstream.Result(canonical.get()));
        fakes.nodes().forEach(n -> n.latency(2500));

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        CompletableFuture<HttpResponse<String>> slow = client.sendAsync(HttpRequest.newBuilder(URI.create(url.toString()))
                .timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(rawCall(1, "eth_getTransactionByHash", params))).build(),
                HttpResponse.BodyHandlers.ofString());
        Await.until("the node took the call", () -> fakes.calls("eth_getTransactionByHash") == 1);
        fakes.nodes().forEach(n -> n.latency(0));

        canonical.set(after);
        moveFinalizedTo(170);
        assertFalse(slow.isDone(), "setup: finality moved while the old answer was still on its way");
        assertEquals(ok(1, before), slow.get(20, TimeUnit.SECONDS).body());

        assertEquals(ok(2, after), send(2, "eth_getTransactionByHash", params),
                "every node now says block 161; the late answer for block 160 must not have been cached");
    }

    /**
     * Finality here lags the head by more than the finality depth (64), as when finalization stalls. A node whose
     * {@code finalized} probe merely times out still has the tag; guessing head - 64 = 136 for it would call
     * block 120 final although no node does.
     */
    @Test
    void finalizedProbeTimingOutDoesNotMakeUnfinalizedBlocksCacheable() {
        fakes.nodes().forEach(n -> n.chain(1, HEAD, 100));
        Probes.round();
        assertEquals(100, pool().finalized());
        fakes.nodes().forEach(n -> n.on(FakeUpstream.FINALIZED_PROBE, req -> new FakeUpstream.Hang()));
        for (int round = 0; round < 3; round++) {
            Probes.round();   // each waits out the hung finalized probes (railyard.health.timeout)
        }
        assertTrue(pool().upstreams().stream().allMatch(u -> u.isHealthy()), "all upstreams still healthy: " + Probes.states());

        String params = "[\"0x78\",false]"; // block 120: final for nobody
        AtomicReference<String> canonical = new AtomicReference<>(block(120, hashOf("a")));
        everyNode("eth_getBlockByNumber", req -> new FakeUpstream.Result(canonical.get()));
        send(1, "eth_getBlockByNumber", params);
        canonical.set(block(120, hashOf("b")));
        assertEquals(ok(2, block(120, hashOf("b"))), send(2, "eth_getBlockByNumber", params),
                "block 120 was replaced; network finalized is now " + pool().finalized() + " (nodes say 100)");
        assertTrue(pool().finalized() <= 100, "network finalized " + pool().finalized() + " is above every node's 100");
    }

    // ------------------------------------------------------------------ errors and batches

    @Test
    void theGatewaysOwnFailureIsNotCached() {
        everyNode("eth_getBlockByNumber", req -> new FakeUpstream.Status(500, "boom"));
        Response failed = post(rawCall(1, "eth_getBlockByNumber", "[\"0x64\",false]"));
        assertEquals(-32002, new JsonObject(failed.asString()).getJsonObject("error").getInteger("code"));
        assertFalse(stored("eth_getBlockByNumber", "[\"0x64\",false]"));
        everyNodeAnswers("eth_getBlockByNumber", block(100, BLOCK_HASH));
        Probes.until("all upstreams healthy", () -> pool().upstreams().stream().allMatch(u -> u.isHealthy()), 3);
        assertEquals(ok(2, block(100, BLOCK_HASH)), send(2, "eth_getBlockByNumber", "[\"0x64\",false]"));
    }

    @Test
    void batchAnswersCachedItemsFromMemoryForwardsTheRestAndKeepsRequestOrder() {
        everyNode("eth_getBlockByNumber", req -> new FakeUpstream.Result(
                "{\"number\":\"" + req.getJsonArray("params").getString(0) + "\"}"));
        everyNodeAnswers("eth_getTransactionReceipt", receipt(100, BLOCK_HASH));
        // Warm: block 0x10 and the receipt.
        send(0, "eth_getBlockByNumber", "[\"0x10\",false]");
        send(0, "eth_getTransactionReceipt", "[\"" + TX + "\"]");
        fakes.nodes().forEach(FakeUpstream::resetCounts);

        String big = "98765432109876543210987654321";
        String batch = "[" + rawCall(1, "eth_getBlockByNumber", "[\"0x10\",false]") + ","
                + rawCall("\"two\"", "eth_getBlockByNumber", "[\"0x11\",false]") + ","
                + rawCall(big, "eth_getTransactionReceipt", "[\"" + TX + "\"]") + ","
                + rawCall("null", "eth_getBlockByNumber", "[\"latest\",false]") + ","
                + rawCall(5, "eth_getBlockByNumber", "[ \"0x10\" , false ]") + ","
                + rawCall(6, "eth_getBlockByNumber", "[\"0x12\",false]") + ","
                + rawCall(7, "eth_getBlockByNumber", "[\"0x12\",false]") + ","
                + rawCall(8, "eth_getBlockByNumber", "[\"0xa0\",false]") + "]";
        Response r = post(batch);
        assertEquals(200, r.statusCode());
        // latest goes out pinned to the network's served head (the fakes echo the block parameter they were sent).
        String pinned = "0x" + Long.toHexString(pool().servedHead());
        String expected = "[" + ok(1, "{\"number\":\"0x10\"}") + ","
                + ok("\"two\"", "{\"number\":\"0x11\"}") + ","
                + ok(big, receipt(100, BLOCK_HASH)) + ","
                + ok("null", "{\"number\":\"" + pinned + "\"}") + ","
                + ok(5, "{\"number\":\"0x10\"}") + ","
                + ok(6, "{\"number\":\"0x12\"}") + ","
                + ok(7, "{\"number\":\"0x12\"}") + ","
                + ok(8, "{\"number\":\"0xa0\"}") + "]";
        assertEquals(expected, r.asString(), "answers in request order, each with its own id");
        assertEquals(0, fakes.calls("eth_getTransactionReceipt"), "cached item answered from memory");
        // 0x11, latest, 0x12 once for both items, 0xa0.
        assertEquals(4, fakes.calls("eth_getBlockByNumber"), "only the uncached items reach a node");

        // The forwarded final blocks are cached now: a second identical batch only forwards latest and 0xa0.
        Response again = post(batch);
        assertEquals(expected, again.asString());
        assertEquals(6, fakes.calls("eth_getBlockByNumber"));
    }

    @Test
    void batchOfOnlyCachedItemsReachesNoNode() {
        everyNodeAnswers("eth_getBlockByNumber", block(100, BLOCK_HASH));
        everyNodeAnswers("net_version", "\"1\"");
        send(0, "eth_getBlockByNumber", "[\"0x64\",false]");
        send(0, "net_version", "[]");
        fakes.nodes().forEach(FakeUpstream::resetCounts);
        Response r = post("[" + rawCall("\"a\"", "net_version", "[]") + "," + rawCall("\"b\"", "eth_getBlockByNumber", "[\"0x64\",false]") + "]");
        JsonArray answers = new JsonArray(r.asString());
        assertEquals("a", answers.getJsonObject(0).getString("id"));
        assertEquals("1", answers.getJsonObject(0).getString("result"));
        assertEquals("b", answers.getJsonObject(1).getString("id"));
        assertEquals(0, fakes.trafficCalls(), "nothing forwarded");
    }

    // ------------------------------------------------------------------ byte bound

    @Test
    void byteBoundEvictsThroughTheGateway() {
        String padding = "\"" + "f".repeat(4000) + "\"";
        everyNode("eth_getBlockByNumber", req -> new FakeUpstream.Result(
                "{\"number\":\"" + req.getJsonArray("params").getString(0) + "\",\"extraData\":" + padding + "}"));
        int blocks = 100; // about 400 KB of answers against a 200 KB bound
        for (int i = 1; i <= blocks; i++) {
            send(i, "eth_getBlockByNumber", "[\"" + hex(i) + "\",false]");
        }
        assertEquals(blocks, fakes.calls("eth_getBlockByNumber"));
        ResponseCache cache = gateway.cache();
        cache.cleanUp();
        assertTrue(cache.bytes() <= 200_000, "bytes " + cache.bytes() + " over railyard.cache.max-bytes");
        assertTrue(cache.bytes() > 0);
        assertTrue(cache.evictions() > 0, "the bound evicted");
        assertTrue(cache.size() < blocks, "size " + cache.size());

        // Re-reading every block: exactly the ones no longer held reach a node again.
        int evicted = 0;
        for (int i = 1; i <= blocks; i++) {
            String params = "[\"" + hex(i) + "\",false]";
            boolean held = stored("eth_getBlockByNumber", params);
            int before = fakes.calls("eth_getBlockByNumber");
            send(i, "eth_getBlockByNumber", params);
            assertEquals(before + (held ? 0 : 1), fakes.calls("eth_getBlockByNumber"), "block " + i + (held ? " held" : " evicted"));
            evicted += held ? 0 : 1;
        }
        assertTrue(evicted > 0, "some blocks were evicted and asked again");
    }
}
