package io.railyard.health;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.Management;
import io.railyard.upstream.UpstreamPools;
import io.restassured.RestAssured;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** By default the operator's surfaces are on the management port only; the RPC port serves JSON-RPC alone. */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true)
class ManagementPortTest {

    private static final List<String> OPERATOR_PATHS = List.of("/q/metrics", "/q/health", "/q/health/ready", "/q/health/live",
            "/q/health/started", "/status");

    @Inject
    UpstreamPools pools;

    @BeforeEach
    void healthy() {
        Await.allHealthy(pools.pool(FakeNodesResource.NETWORK));
    }

    @Test
    void theManagementInterfaceHasAPortOfItsOwn() {
        assertNotEquals(RestAssured.port, Management.port());
    }

    @Test
    void thePublicPortAnswers404ForMetricsHealthAndStatus() {
        for (String path : OPERATOR_PATHS) {
            assertEquals(404, given().get(path).statusCode(), "GET " + path + " on the RPC port");
        }
        assertEquals(404, given().header("Accept", "text/html").get("/status").statusCode(), "the HTML status page");
    }

    @Test
    void theManagementPortServesThem() {
        String metrics = Management.given().get("/q/metrics").asString();
        assertTrue(metrics.contains("railyard_upstream_up{"), "Prometheus text with Railyard's series");
        assertEquals(200, Management.given().get("/q/health/ready").statusCode());
        assertEquals(200, Management.given().get("/q/health/live").statusCode());
        JsonObject status = new JsonObject(Management.given().get("/status").asString());
        assertEquals(3, status.getJsonObject("networks").getJsonObject("testnet").getJsonArray("upstreams").size());
        String html = Management.given().header("Accept", "text/html").get("/status").asString();
        assertTrue(html.contains("data-upstream=\"node-0\""), html);
    }

    @Test
    void theManagementPortServesNoJsonRpc() {
        String call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}";
        assertEquals("0x1", new JsonObject(given().contentType("application/json").body(call).post("/testnet").asString()).getString("result"));
        assertEquals(404, Management.given().contentType("application/json").body(call).post("/testnet").statusCode());
    }
}
