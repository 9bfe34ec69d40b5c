package io.railyard.memory;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.cache.CacheKey;
import io.railyard.cache.ResponseCache;
import io.railyard.core.RpcGateway;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.Management;
import io.railyard.testing.Metrics;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The heap guard driven through its measurement hook (a heap really filled is MemoryFloodIT's job): above the
 * high-water mark new requests get 503/-32002 with Retry-After and are counted, readiness goes DOWN while liveness
 * stays UP, the cache stores nothing and holds half its bound; below the low-water mark all of it comes back.
 * The recheck interval is an hour here, so that no real collection measures the test's heap in between.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.overload.recheck-interval", value = "1h"),
        @ResourceArg(name = "railyard.cache.max-bytes", value = "1000000")})
class HeapOverloadIntegrationTest {

    private static final long MAX = 1_000_000_000L;
    private static final String CHAIN_ID = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"eth_chainId\",\"params\":[]}";

    FakeNodes fakes;

    @Inject
    HeapGuard heap;

    @Inject
    RpcGateway gateway;

    @Inject
    UpstreamPools pools;

    @BeforeEach
    void served() {
        fakes.resetAll();
        heap.assess(0, MAX);
        Await.allHealthy(pools.pool("testnet"));
        gateway.cache().invalidateAll();
    }

    @AfterEach
    void recovered() {
        heap.assess(0, MAX);
    }

    private static Response chainId() {
        return given().contentType("application/json").body(CHAIN_ID).post("/testnet");
    }

    @Test
    void aNearlyFullHeapShedsNewRequestsAndTakesTheReplicaOutOfServiceUntilMemoryComesBack() {
        assertEquals(200, chainId().statusCode());
        double shedBefore = Metrics.value("railyard_overload_shed_total{network=\"testnet\"}");

        heap.assess(950_000_000L, MAX);
        Response shed = chainId();
        assertEquals(503, shed.statusCode(), shed.asString());
        JsonObject error = new JsonObject(shed.asString()).getJsonObject("error");
        assertEquals(-32002, error.getInteger("code"));
        assertTrue(error.getString("message").startsWith("Gateway overloaded: its heap is nearly full"), error.toString());
        assertEquals("1", shed.header("Retry-After"));
        assertEquals("close", shed.header("Connection"), "the body was not read: the connection is not reused");
        assertEquals(503, Management.given().get("/q/health/ready").statusCode(), "readiness DOWN while shedding");
        assertEquals(200, Management.given().get("/q/health/live").statusCode(), "liveness stays UP");
        String scrape = Metrics.scrape();
        assertEquals(1.0, Metrics.value(scrape, "railyard_overloaded"));
        assertEquals(shedBefore + 1, Metrics.value(scrape, "railyard_overload_shed_total{network=\"testnet\"}"));

        heap.assess(800_000_000L, MAX);
        assertEquals(503, chainId().statusCode(), "between the marks it keeps shedding");

        heap.assess(500_000_000L, MAX);
        Response again = chainId();
        assertEquals(200, again.statusCode(), again.asString());
        assertEquals("0x1", new JsonObject(again.asString()).getString("result"));
        assertEquals(200, Management.given().get("/q/health/ready").statusCode());
        assertEquals(0.0, Metrics.value("railyard_overloaded"));
    }

    @Test
    void whileShortOfMemoryTheCacheStoresNothingAndHoldsHalfItsBound() {
        ResponseCache cache = gateway.cache();
        CacheKey key = CacheKey.of("testnet", "eth_chainId", "[]".getBytes(StandardCharsets.UTF_8));
        RpcAnswer answer = RpcAnswer.result("\"0x1\"".getBytes(StandardCharsets.UTF_8));
        assertEquals(1_000_000, cache.maxBytes());
        heap.assess(950_000_000L, MAX);
        assertEquals(500_000, cache.maxBytes(), "half the bound while short of memory");
        // Requests are shed before the cache, so ask the cache directly: nothing new goes in.
        cache.put(key, answer);
        cache.cleanUp();
        assertEquals(0, cache.size());
        heap.assess(100_000_000L, MAX);
        assertEquals(1_000_000, cache.maxBytes(), "the whole bound again");
        cache.put(key, answer);
        cache.cleanUp();
        assertEquals(1, cache.size());
    }
}
