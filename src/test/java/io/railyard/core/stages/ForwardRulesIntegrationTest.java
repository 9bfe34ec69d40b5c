package io.railyard.core.stages;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.RpcGateway;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.Probes;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static io.railyard.testing.Rpc.call;
import static io.railyard.testing.Rpc.error;
import static io.railyard.testing.Rpc.result;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which node the forward stage gives a call to, and what it does with the answer, over three fake nodes: a read
 * answered with missing data ("header not found" and the like, or a {@code null} for something another node may
 * have) is asked of another node; a deterministic answer (a revert, invalid params) is returned as it is, from one
 * call; a read naming a block goes only to nodes that have reached it; a filter's calls go to the node that made it.
 * Moved out of HealthIntegrationTest: these are forwarding rules, not health.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        // Probing rounds are run by the test (testing/Probes), as in HealthIntegrationTest.
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class ForwardRulesIntegrationTest {

    private static final String GOOD = "\"0x64\"";
    private static final String RECEIPT = "{\"transactionHash\":\"0x" + "12".repeat(32)
            + "\",\"blockNumber\":\"0x5f\",\"status\":\"0x1\"}";

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @BeforeEach
    void threeHealthyNodes() {
        fakes.resetAll();
        fakes.nodes().forEach(n -> n.chain(1, 100, 90));
        Probes.allHealthy(pool());
        if (gateway.cache() != null) {
            gateway.cache().invalidateAll();
        }
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }


    @ParameterizedTest
    @ValueSource(strings = {"header not found", "missing trie node", "unknown block"})
    void readAnsweredWithMissingDataIsRetriedOnAnotherNode(String message) {
        FakeUpstream lacking = fakes.get(0);
        fakes.nodes().forEach(n -> n.result("eth_getBalance", GOOD));
        lacking.on("eth_getBalance", req -> new FakeUpstream.Error(-32000, message));
        int sent = 0;
        while (sent < 30 && (sent < 9 || lacking.calls("eth_getBalance") < 2)) {
            expectGood(sent++);
        }
        int asked = lacking.calls("eth_getBalance");
        int others = fakes.get(1).calls("eth_getBalance") + fakes.get(2).calls("eth_getBalance");
        System.out.printf("[health] '%s': %d reads, node-0 asked %d times, the others %d%n", message, sent, asked, others);
        assertTrue(asked >= 2, "node-0 got first tries: " + asked);
        assertEquals(sent, others, "every read was answered by exactly one node that has the data");
        assertTrue(upstream(0).isHealthy(), "a missing-data answer is not a probe failure");
    }

    @ParameterizedTest
    @ValueSource(strings = {"execution reverted", "execution reverted: header not found"})
    void revertIsReturnedAsIsWithoutRetry(String message) {
        fakes.nodes().forEach(n -> n.on("eth_call", req -> new FakeUpstream.Error(3, message)));
        for (int i = 0; i < 3; i++) {
            Response r = post(call(i, "eth_call", "[{\"to\":\"0x" + "11".repeat(20) + "\",\"data\":\"0x\"},\"latest\"]"));
            assertEquals(200, r.statusCode());
            assertEquals(error(i, 3, message), r.asString());
            assertEquals(i + 1, fakes.calls("eth_call"), "a revert is deterministic: one upstream call per request");
        }
    }

    @Test
    void invalidParamsAreReturnedAsIsWithoutRetry() {
        String message = "invalid argument 1: hex string without 0x prefix";
        fakes.nodes().forEach(n -> n.on("eth_getBalance", req -> new FakeUpstream.Error(-32602, message)));
        Response r = post(call(1, "eth_getBalance", "[\"0x" + "11".repeat(20) + "\",\"12\"]"));
        assertEquals(error(1, -32602, message), r.asString());
        assertEquals(1, fakes.calls("eth_getBalance"));
    }

    @Test
    void readNamingABlockGoesOnlyToUpstreamsThatHaveReachedIt() {
        FakeUpstream behind = fakes.get(0);
        Upstream behindUp = upstream(0);
        fakes.nodes().forEach(n -> n.result("eth_getBalance", GOOD));
        behind.result("eth_getBalance", "null");
        behind.head(97); // 3 behind: within max-lag, so still healthy
        try {
            Probes.round();
            assertEquals(97, behindUp.head(), "node-0's head known as 97");
            behind.resetCounts();
            for (int i = 0; i < 12; i++) {
                expectGood(call(i, "eth_getBalance", "[\"0x" + "11".repeat(20) + "\",\"0x63\"]"), i);
            }
            assertTrue(behindUp.isHealthy(), behindUp.stateReason());
            assertEquals(0, behind.calls("eth_getBalance"), "block 99 is never asked of a node at 97");
        } finally {
            behind.head(100);
        }
    }


    /** The receipt's block (0x5f) is above the finalized block (90), so it is never cached and every lookup is forwarded. */
    @Test
    void nullReceiptFromOneNodeIsAskedOfOneMoreNode() {
        FakeUpstream lagging = fakes.get(0);
        fakes.nodes().forEach(n -> n.result("eth_getTransactionReceipt", RECEIPT));
        lagging.result("eth_getTransactionReceipt", "null");
        String params = "[\"0x" + "12".repeat(32) + "\"]";
        int sent = 0;
        while (sent < 30 && (sent < 6 || lagging.calls("eth_getTransactionReceipt") < 2)) {
            Response r = post(call(sent, "eth_getTransactionReceipt", params));
            assertEquals(result(sent, RECEIPT), r.asString(), "read " + sent);
            sent++;
        }
        int nulls = lagging.calls("eth_getTransactionReceipt");
        int others = fakes.get(1).calls("eth_getTransactionReceipt") + fakes.get(2).calls("eth_getTransactionReceipt");
        assertTrue(nulls >= 2, "node-0 was asked first at times: " + nulls);
        assertEquals(sent, others, "each lookup got its receipt from exactly one node that has it");
    }

    @ParameterizedTest
    @ValueSource(strings = {"eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getBlockByHash"})
    void nullByHashEverywhereIsAskedOfExactlyOneMoreNodeThenReturned(String method) {
        fakes.nodes().forEach(n -> n.result(method, "null"));
        String hash = "\"0x" + "34".repeat(32) + "\"";
        String params = method.equals("eth_getBlockByHash") ? "[" + hash + ",false]" : "[" + hash + "]";
        for (int i = 0; i < 3; i++) {
            Response r = post(call(i, method, params));
            assertEquals(result(i, "null"), r.asString());
            assertEquals(2 * (i + 1), fakes.calls(method), method + ": one re-check per lookup, not more");
        }
    }

    @Test
    void filterCallsGoOnlyToTheUpstreamThatCreatedTheFilter() {
        for (int i = 0; i < fakes.size(); i++) {
            FakeUpstream n = fakes.get(i);
            n.result("eth_newFilter", "\"0xf" + i + "\"");
            n.result("eth_getFilterChanges", "[\"0xc" + i + "\"]");
            n.result("eth_getFilterLogs", "[\"0xd" + i + "\"]");
            n.result("eth_uninstallFilter", "true");
        }
        List<Integer> owners = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            Response created = post(call(f, "eth_newFilter", "[{\"fromBlock\":\"latest\"}]"));
            String id = new JsonObject(created.asString()).getString("result");
            assertNotNull(id, created.asString());
            owners.add(Integer.parseInt(id.substring(3)));
        }
        assertEquals(3, fakes.calls("eth_newFilter"), "filter creation reaches one node, once");
        assertEquals(List.of(0, 1, 2), owners.stream().sorted().toList(), "round-robin spread the three filters: " + owners);

        for (int owner : owners) {
            fakes.nodes().forEach(FakeUpstream::resetCounts);
            String id = "\"0xf" + owner + "\"";
            for (int k = 0; k < 10; k++) {
                Response r = post(call(k, "eth_getFilterChanges", "[" + id + "]"));
                assertEquals(result(k, "[\"0xc" + owner + "\"]"), r.asString());
            }
            Response logs = post(call(10, "eth_getFilterLogs", "[" + id + "]"));
            assertEquals(result(10, "[\"0xd" + owner + "\"]"), logs.asString());
            Response gone = post(call(11, "eth_uninstallFilter", "[" + id + "]"));
            assertEquals(result(11, "true"), gone.asString());
            for (int i = 0; i < fakes.size(); i++) {
                FakeUpstream n = fakes.get(i);
                int expected = i == owner ? 10 : 0;
                assertEquals(expected, n.calls("eth_getFilterChanges"), "filter " + id + ": eth_getFilterChanges on node-" + i);
                assertEquals(i == owner ? 1 : 0, n.calls("eth_getFilterLogs"), "filter " + id + ": eth_getFilterLogs on node-" + i);
                assertEquals(i == owner ? 1 : 0, n.calls("eth_uninstallFilter"), "filter " + id + ": eth_uninstallFilter on node-" + i);
            }
        }
    }

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    private static Response post(String body) {
        return given().contentType("application/json").body(body).post("/" + FakeNodesResource.NETWORK);
    }

    private Upstream upstream(int i) {
        return pool().byName("node-" + i);
    }

    private static String balanceCall(Object id) {
        return call(id, "eth_getBalance", "[\"0x" + "11".repeat(20) + "\",\"latest\"]");
    }

    private void expectGood(int id) {
        expectGood(balanceCall(id), id);
    }

    private void expectGood(String request, int id) {
        Response r = post(request);
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals(result(id, GOOD), r.asString());
    }
}
