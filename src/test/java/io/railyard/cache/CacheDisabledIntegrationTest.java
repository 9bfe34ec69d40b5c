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
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.railyard.testing.Rpc.rawCall;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code railyard.cache.enabled=false}: every request reaches a node, with no caching and no coalescing. */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.cache.enabled", value = "false"),
        @ResourceArg(name = "quarkus.http.test-port", value = "0")})
class CacheDisabledIntegrationTest {

    static final String TX = "0x" + "22".repeat(32);
    static final String BLOCK_HASH = "0x" + "11".repeat(32);

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @TestHTTPResource("/testnet")
    URL url;

    @BeforeEach
    void allHealthy() {
        fakes.resetAll();
        fakes.nodes().forEach(n -> n.chain(1, 200, 150));
        Await.until("all upstreams healthy, finalized 150", () -> pools.pool(FakeNodesResource.NETWORK).finalized() == 150
                && pools.pool(FakeNodesResource.NETWORK).upstreams().stream().allMatch(u -> u.isHealthy()));
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }

    static String send(Object id, String method, String params) {
        Response r = given().contentType("application/json").body(rawCall(id, method, params)).post("/testnet");
        assertEquals(200, r.statusCode());
        return r.asString();
    }

    @Test
    void thereIsNoCache() {
        assertNull(gateway.cache());
    }

    @Test
    void everyRequestOfAnImmutableAnswerReachesANode() {
        String block = "{\"number\":\"0x64\",\"hash\":\"" + BLOCK_HASH + "\"}";
        fakes.nodes().forEach(n -> n
                .result("eth_getBlockByNumber", block)
                .result("eth_getBlockByHash", block)
                .result("net_version", "\"1\"")
                .result("eth_getTransactionReceipt", "{\"transactionHash\":\"" + TX + "\",\"blockNumber\":\"0x64\",\"blockHash\":\"" + BLOCK_HASH + "\"}")
                .result("eth_getLogs", "[]"));
        String[][] requests = {
                {"eth_getBlockByNumber", "[\"0x64\",false]"},
                {"eth_getBlockByNumber", "[\"earliest\",false]"},
                {"eth_getBlockByHash", "[\"" + BLOCK_HASH + "\",false]"},
                {"net_version", "[]"},
                {"eth_getTransactionReceipt", "[\"" + TX + "\"]"},
                {"eth_getLogs", "[{\"fromBlock\":\"0x1\",\"toBlock\":\"0x64\"}]"}};
        for (String[] r : requests) {
            int before = fakes.calls(r[0]);
            for (int i = 0; i < 3; i++) {
                assertEquals("{\"jsonrpc\":\"2.0\",\"id\":\"id-" + i + "\",\"result\":",
                        send("\"id-" + i + "\"", r[0], r[1]).substring(0, 37 + Integer.toString(i).length()));
            }
            assertEquals(3, fakes.calls(r[0]) - before, r[0] + " " + r[1] + ": every request reached a node");
        }
        assertEquals(3 * requests.length, fakes.trafficCalls(), "three requests each, three upstream calls each");
    }

    @Test
    void concurrentIdenticalRequestsAreNotCoalesced() throws Exception {
        fakes.nodes().forEach(n -> n.result("eth_getBlockByNumber", "{\"number\":\"0x64\"}").latency(200));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            responses.add(client.sendAsync(HttpRequest.newBuilder(URI.create(url.toString()))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(rawCall(i, "eth_getBlockByNumber", "[\"0x64\",false]"))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) {
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"result\":{\"number\":\"0x64\"}}", responses.get(i).get().body());
        }
        assertEquals(20, fakes.calls("eth_getBlockByNumber"));
    }
}
