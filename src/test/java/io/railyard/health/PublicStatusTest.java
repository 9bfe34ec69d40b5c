package io.railyard.health;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.Management;
import io.railyard.testing.Probes;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With {@code railyard.status.public=true} the RPC port serves a redacted {@code /status}: names, states and heads,
 * never a URL, a reason or an error text. The management port keeps the full page, with URLs cut to scheme, host
 * and port (the nodes here are configured with userinfo, a key in the path and one in the query).
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.status.public", value = "true"),
        @ResourceArg(name = "userinfo", value = "operator:hunter2"),
        @ResourceArg(name = "path-and-query", value = "/v3/PATHKEY123?apikey=QUERYKEY456"),
        // Probing rounds are run by the test (testing/Probes).
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class PublicStatusTest {

    private static final List<String> SECRETS = List.of("hunter2", "operator", "PATHKEY123", "QUERYKEY456", "/v3");

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    /** node-1 ejected (a reason to show), node-0 with a failed call behind it (a last error to show). */
    private void somethingWentWrong() {
        fakes.resetAll();
        Probes.allHealthy(pool());
        fakes.get(1).chain(5, 100, 90);
        Probes.until("node-1 ejected", () -> !pool().upstreams().get(1).isHealthy(), 1);
        fakes.get(0).on("eth_getBalance", req -> new FakeUpstream.Status(502, "bad gateway"));
        fakes.get(2).on("eth_getBalance", req -> new FakeUpstream.Status(502, "bad gateway"));
        given().contentType("application/json")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"0x" + "11".repeat(20) + "\",\"latest\"]}")
                .post("/testnet");
        Await.until("node-0 has a last error", () -> pool().upstreams().get(0).stats().lastError() != null);
    }

    @Test
    void thePublicStatusNamesUpstreamsAndStatesButHoldsNoUrlAndNoErrorText() {
        somethingWentWrong();
        String json = given().get("/status").asString();
        String html = given().header("Accept", "text/html").get("/status").asString();
        JsonObject net = new JsonObject(json).getJsonObject("networks").getJsonObject("testnet");
        assertEquals(100, net.getInteger("head"));
        JsonArray ups = net.getJsonArray("upstreams");
        assertEquals(List.of("node-0", "node-1", "node-2"), ups.stream().map(o -> ((JsonObject) o).getString("name")).toList());
        assertEquals("ejected", ups.getJsonObject(1).getString("state"));
        assertEquals(100, ups.getJsonObject(0).getInteger("head"));
        for (Object o : ups) {
            JsonObject u = (JsonObject) o;
            assertNull(u.getValue("url"), u.encode());
            assertNull(u.getValue("reason"), u.encode());
            assertNull(u.getValue("lastError"), u.encode());
        }
        for (String page : List.of(json, html)) {
            assertFalse(page.contains("://"), page);
            assertFalse(page.contains("127.0.0.1"), page);
            for (FakeUpstream node : fakes.nodes()) {
                assertFalse(page.contains(Integer.toString(node.port())), "port of an upstream: " + page);
            }
            assertFalse(page.contains("wrong chain"), "the ejection reason: " + page);
            assertFalse(page.contains("HTTP 502"), "the last error: " + page);
            SECRETS.forEach(secret -> assertFalse(page.contains(secret), secret + " in " + page));
        }
        assertTrue(html.contains("<tr class=\"ejected\" data-upstream=\"node-1\">"), html);
        fakes.get(1).chain(1, 100, 90);
    }

    @Test
    void theManagementStatusShowsUrlsWithoutUserinfoPathOrQuery() {
        somethingWentWrong();
        String json = Management.given().get("/status").asString();
        String html = Management.given().header("Accept", "text/html").get("/status").asString();
        JsonArray ups = new JsonObject(json).getJsonObject("networks").getJsonObject("testnet").getJsonArray("upstreams");
        for (int i = 0; i < ups.size(); i++) {
            assertEquals("http://127.0.0.1:" + fakes.get(i).port(), ups.getJsonObject(i).getString("url"));
        }
        assertEquals("wrong chain: eth_chainId 5, expected 1", ups.getJsonObject(1).getString("reason"));
        assertTrue(ups.getJsonObject(0).getString("lastError").contains("HTTP 502"), ups.encode());
        for (String page : List.of(json, html)) {
            SECRETS.forEach(secret -> assertFalse(page.contains(secret), secret + " in " + page));
        }
        assertTrue(html.contains("http://127.0.0.1:" + fakes.get(0).port()), html);
        fakes.get(1).chain(1, 100, 90);
    }
}
