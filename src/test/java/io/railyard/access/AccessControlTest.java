package io.railyard.access;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.Metrics;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "mirror-networks", value = "private"),
        @ResourceArg(name = "railyard.networks.private.require-api-key", value = "true"),
        @ResourceArg(name = "railyard.trusted-proxies", value = "127.0.0.1"),
        @ResourceArg(name = "railyard.rate-limit.per-ip.rate", value = "2"),
        @ResourceArg(name = "railyard.rate-limit.per-ip.burst", value = "4"),
        @ResourceArg(name = "railyard.api-keys.dapp-a.key", value = "secret-a"),
        @ResourceArg(name = "railyard.api-keys.dapp-a.rate", value = "1"),
        @ResourceArg(name = "railyard.api-keys.dapp-a.burst", value = "20"),
        // dapp-b's secret is "secret-b"; only its hash is configured.
        @ResourceArg(name = "railyard.api-keys.dapp-b.key-sha256", value = "ff492ef788c89b555e6f738b33d2422f57dbb6656af2402155672c5f123a90af"),
        @ResourceArg(name = "railyard.api-keys.dapp-b.networks", value = "testnet"),
        @ResourceArg(name = "railyard.api-keys.dapp-b.allow-methods", value = "eth_chainId,eth_getBalance"),
        @ResourceArg(name = "railyard.api-keys.dapp-c.key", value = "secret-c"),
        @ResourceArg(name = "railyard.api-keys.dapp-c.deny-methods", value = "eth_getLogs")})
class AccessControlTest {

    private static final String CHAIN_ID = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}";
    private static int nextClient = 1;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @BeforeEach
    void healthy() {
        fakes.resetAll();
        Await.allHealthy(pools.pool("testnet"));
        fakes.nodes().forEach(n -> n.result("eth_getBalance", "\"0x5\"").result("eth_getLogs", "[]"));
    }

    /** Each test speaks from its own address (through the trusted loopback proxy), so buckets never leak between tests. */
    private static RequestSpecification fromNewClient() {
        return given().contentType("application/json").header("X-Forwarded-For", "198.51.100." + (nextClient++));
    }

    private static String message(Response r) {
        return new JsonObject(r.asString()).getJsonObject("error").getString("message");
    }

    private static int code(Response r) {
        return new JsonObject(r.asString()).getJsonObject("error").getInteger("code");
    }

    @Test
    void keyInThePathOrInTheHeaderIdentifiesTheClient() {
        Response path = fromNewClient().body(CHAIN_ID).post("/private/secret-a");
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}", path.asString());
        Response header = fromNewClient().header("X-Api-Key", "secret-b").body(CHAIN_ID).post("/testnet");
        assertEquals(200, header.statusCode());
        assertEquals("0x1", new JsonObject(header.asString()).getString("result"));
    }

    @Test
    void unknownKeysAndAnonymousClientsOfAKeyOnlyNetworkGet401() {
        Response unknown = fromNewClient().body(CHAIN_ID).post("/testnet/not-a-key");
        assertEquals(401, unknown.statusCode());
        assertEquals(-32001, code(unknown));
        Response anonymous = fromNewClient().body(CHAIN_ID).post("/private");
        assertEquals(401, anonymous.statusCode());
        assertTrue(new JsonObject(anonymous.asString()).getJsonObject("error").getString("message").contains("requires an API key"));
        Response wrongNetwork = fromNewClient().header("X-Api-Key", "secret-b").body(CHAIN_ID).post("/private");
        assertEquals(401, wrongNetwork.statusCode(), "dapp-b may only use testnet");
    }

    @Test
    void keyMethodRulesAreEnforcedWithoutReachingANode() {
        fakes.nodes().forEach(n -> n.resetCounts());
        Response notAllowed = fromNewClient().header("X-Api-Key", "secret-b")
                .body("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_getLogs\",\"params\":[{}]}").post("/testnet");
        assertEquals(-32601, code(notAllowed));
        assertEquals(7, new JsonObject(notAllowed.asString()).getInteger("id"));
        Response denied = fromNewClient().header("X-Api-Key", "secret-c")
                .body("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"eth_getLogs\",\"params\":[{}]}").post("/testnet");
        assertEquals(-32601, code(denied));
        assertTrue(message(denied).startsWith("the method eth_getLogs is refused by this gateway's policy for API key 'dapp-c'"
                + " (railyard.api-keys.dapp-c.deny-methods / allow-methods), not by a node"), message(denied));
        Response allowed = fromNewClient().header("X-Api-Key", "secret-b")
                .body("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"eth_getBalance\",\"params\":[\"0x01\",\"latest\"]}").post("/testnet");
        assertEquals("0x5", new JsonObject(allowed.asString()).getString("result"));
        Response admin = fromNewClient().header("X-Api-Key", "secret-c")
                .body("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"admin_nodeInfo\",\"params\":[]}").post("/testnet");
        assertEquals(-32601, code(admin), "the network's deny list applies to keys too");
        assertTrue(message(admin).startsWith("the method admin_nodeInfo is refused by this gateway's policy for network"
                + " testnet (railyard.networks.testnet.deny-methods / allow-methods;"), message(admin));
        assertEquals(0, fakes.calls("eth_getLogs"));
        assertEquals(0, fakes.calls("admin_nodeInfo"));
        assertEquals(1, fakes.calls("eth_getBalance"));
    }

    @Test
    void aClientOverItsLimitGets429WithHeadersWhileAnotherClientIsServed() {
        String before = Metrics.scrape();
        RequestSpecification greedy = fromNewClient();
        String greedyAddress = "198.51.100." + (nextClient - 1);
        for (int i = 0; i < 4; i++) {
            assertEquals(200, greedy.body(CHAIN_ID).post("/testnet").statusCode(), "within the burst of 4");
        }
        Response limited = given().contentType("application/json").header("X-Forwarded-For", greedyAddress)
                .body("{\"jsonrpc\":\"2.0\",\"id\":\"x-42\",\"method\":\"eth_chainId\",\"params\":[]}").post("/testnet");
        assertEquals(429, limited.statusCode());
        assertEquals(-32005, code(limited));
        assertEquals("x-42", new JsonObject(limited.asString()).getString("id"), "the error carries the request's id");
        assertEquals("1", limited.header("Retry-After"));
        assertEquals("\"ip\";q=4;w=2", limited.header("RateLimit-Policy"));
        assertEquals("\"ip\";r=0;t=1", limited.header("RateLimit"));

        assertEquals(200, fromNewClient().body(CHAIN_ID).post("/testnet").statusCode(), "another client is unaffected");
        assertEquals(1, Metrics.value(Metrics.scrape(), "railyard_rate_limited_total{network=\"testnet\",reason=\"ip\"}")
                - Metrics.value(before, "railyard_rate_limited_total{network=\"testnet\",reason=\"ip\"}"));
    }

    @Test
    void aBatchCostsTheSumOfItsEntries() {
        fakes.nodes().forEach(n -> n.resetCounts());
        // dapp-a: burst 20; eth_getLogs costs 10, so three of them (30) are refused as a whole.
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < 3; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"jsonrpc\":\"2.0\",\"id\":").append(i)
                    .append(",\"method\":\"eth_getLogs\",\"params\":[{\"fromBlock\":\"0x1\",\"toBlock\":\"0x2\"}]}");
        }
        Response r = fromNewClient().body(batch.append(']').toString()).post("/testnet/secret-a");
        assertEquals(429, r.statusCode());
        JsonArray errors = new JsonArray(r.asString());
        assertEquals(3, errors.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, errors.getJsonObject(i).getInteger("id"));
            assertEquals(-32005, errors.getJsonObject(i).getJsonObject("error").getInteger("code"));
        }
        assertEquals("\"key\";q=20;w=20", r.header("RateLimit-Policy"));
        assertEquals(0, fakes.calls("eth_getLogs"));
    }

    /**
     * Issue 16, finding 4: debug_traceBlockByNumber is refused by default and costs 20, more than the per-IP burst of
     * 4. Refused, it is charged 1: the client hears -32601 (not 429), and a flood of refused calls is still limited.
     */
    @Test
    void aDeniedMethodIsRefusedBeforeItsHeavyCostIsCharged() {
        RequestSpecification client = fromNewClient();
        String trace = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"debug_traceBlockByNumber\",\"params\":[\"0x1\"]}";
        Response first = client.body(trace).post("/testnet");
        assertEquals(-32601, code(first), first.asString());
        int limited = 0;
        for (int i = 0; i < 12; i++) {
            Response r = client.body(trace).post("/testnet");
            if (r.statusCode() == 429) {
                limited++;
            } else {
                assertEquals(-32601, code(r), r.asString());
            }
        }
        assertTrue(limited > 0, "refused calls still spend quota (1 each): a flood of them is limited");
        fakes.nodes().forEach(n -> assertEquals(0, n.calls("debug_traceBlockByNumber"), "no node was asked"));
    }
}
