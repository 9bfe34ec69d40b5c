package io.railyard.edge.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.RpcGateway;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.access-log.enabled", value = "true"),
        @ResourceArg(name = "railyard.access-log.format", value = "json"),
        @ResourceArg(name = "railyard.api-keys.wallet.key", value = "wallet-secret")})
class AccessLogTest {

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void setUp() {
        fakes.resetAll();
        Await.allHealthy(pools.pool("testnet"));
        gateway.cache().invalidateAll();
        Logger.getLogger("railyard.access").addHandler(capture);
    }

    @AfterEach
    void tearDown() {
        Logger.getLogger("railyard.access").removeHandler(capture);
    }

    @Test
    void oneJsonLinePerRequestNamingKeyMethodsUpstreamsAndCacheHitsButNeverTheSecret() {
        fakes.nodes().forEach(n -> n.result("eth_getBlockByHash", "{\"number\":\"0x1\"}"));
        String hash = "\"0x" + "34".repeat(32) + "\"";
        String batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBlockByHash\",\"params\":[" + hash + ",false]},"
                + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_chainId\",\"params\":[]}]";
        given().contentType("application/json").body(batch).post("/testnet/wallet-secret");
        given().contentType("application/json").body(batch).post("/testnet/wallet-secret");
        Await.until("two access lines", () -> lines.size() >= 2);
        JsonObject first = new JsonObject(lines.get(0));
        JsonObject second = new JsonObject(lines.get(1));
        assertEquals("testnet", first.getString("network"));
        assertEquals("wallet", first.getString("client"));
        assertEquals(List.of("eth_getBlockByHash", "eth_chainId"), first.getJsonArray("methods").getList());
        assertEquals(200, first.getInteger("status"));
        assertTrue(first.getJsonArray("upstreams").size() >= 1);
        assertTrue(first.getJsonArray("upstreams").getString(0).startsWith("node-"));
        assertEquals(2, second.getInteger("cacheHits"), "the repeat was served from the cache");
        assertEquals(0, second.getJsonArray("upstreams").size());
        assertTrue(second.getDouble("durationMs") >= 0);
        lines.forEach(l -> assertFalse(l.contains("wallet-secret"), l));
    }
}
