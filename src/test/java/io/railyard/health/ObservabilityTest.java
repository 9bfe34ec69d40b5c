package io.railyard.health;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.RpcGateway;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.Management;
import io.railyard.testing.Metrics;
import io.railyard.testing.Probes;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.health.circuit-breaker.request-volume", value = "4"),
        @ResourceArg(name = "railyard.health.circuit-breaker.delay", value = "30s"),
        // Probing rounds are run by the test (testing/Probes).
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class ObservabilityTest {

    private static final String NET = "network=\"testnet\"";

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @BeforeEach
    void allHealthy() {
        fakes.resetAll();
        Probes.allHealthy(pool());
        gateway.cache().invalidateAll();
    }

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    private static Response post(String body) {
        return given().contentType("application/json").body(body).post("/testnet");
    }

    private static String call(int id, String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
    }

    /** Issue 16: counters with closed label sets exist at 0 from the start, so dashboards and rate() see them. */
    @Test
    void ejectionAndRateLimitCountersAreShownAtZeroBeforeTheFirstEvent() {
        String scrape = Metrics.scrape();
        for (Upstream u : pool().upstreams()) {
            for (String reason : io.railyard.upstream.HealthPolicy.EJECTION_REASONS) {
                String series = "railyard_upstream_ejections_total{" + NET + ",reason=\"" + reason + "\",upstream=\"" + u.name() + "\"}";
                assertTrue(scrape.contains(series + " "), series + " is missing from /q/metrics");
            }
        }
        for (String reason : new String[]{"ip", "key", "backend_down"}) {
            String series = "railyard_rate_limited_total{" + NET + ",reason=\"" + reason + "\"}";
            assertTrue(scrape.contains(series + " "), series + " is missing from /q/metrics");
        }
    }

    @Test
    void statusShowsEveryUpstreamAndWhyOneIsEjected() {
        JsonObject status = new JsonObject(Management.given().get("/status").asString());
        JsonObject net = status.getJsonObject("networks").getJsonObject("testnet");
        assertEquals(1, net.getInteger("chainId"));
        assertEquals(100, net.getInteger("head"));
        assertEquals(90, net.getInteger("finalized"));
        JsonArray ups = net.getJsonArray("upstreams");
        assertEquals(3, ups.size());
        for (Object o : ups) {
            JsonObject u = (JsonObject) o;
            assertEquals("healthy", u.getString("state"));
            assertEquals(100, u.getInteger("head"));
            assertEquals(0, u.getInteger("lag"));
            assertTrue(u.getString("url").startsWith("http://127.0.0.1:"));
        }

        fakes.get(1).chain(5, 100, 90);
        Probes.until("node-1 ejected", () -> !pool().upstreams().get(1).isHealthy(), 1);
        JsonObject u1 = new JsonObject(Management.given().get("/status").asString()).getJsonObject("networks").getJsonObject("testnet")
                .getJsonArray("upstreams").getJsonObject(1);
        assertEquals("ejected", u1.getString("state"));
        assertEquals("wrong chain: eth_chainId 5, expected 1", u1.getString("reason"));

        String html = Management.given().header("Accept", "text/html").get("/status").asString();
        assertTrue(html.contains("<meta http-equiv=\"refresh\""));
        assertTrue(html.contains("node-0") && html.contains("node-1") && html.contains("node-2"));
        assertTrue(html.contains("<tr class=\"ejected\" data-upstream=\"node-1\">"));
        assertTrue(html.contains("wrong chain: eth_chainId 5, expected 1"));
        fakes.get(1).chain(1, 100, 90);
    }

    @Test
    void readinessFollowsUpstreamsAndLivenessDoesNot() {
        Response ready = Management.given().get("/q/health/ready");
        assertEquals(200, ready.statusCode());
        assertTrue(ready.asString().contains("testnet/node-0"));

        fakes.nodes().forEach(n -> n.everything(req -> new FakeUpstream.Status(503, "down")));
        Probes.until("all ejected", () -> !pool().hasHealthyUpstream(), 2);
        Response notReady = Management.given().get("/q/health/ready");
        assertEquals(503, notReady.statusCode());
        assertTrue(notReady.asString().contains("\"DOWN\""));
        assertTrue(notReady.asString().contains("ejected: 2 consecutive failed probes"), notReady.asString());
        assertEquals(200, Management.given().get("/q/health/live").statusCode());
    }

    @Test
    void metricsCountRequestsCacheAndFailoverExactly() {
        String before = Metrics.scrape();
        fakes.nodes().forEach(n -> n.result("eth_getBlockByHash", "{\"number\":\"0x1\"}").result("eth_getBalance", "\"0x1\""));
        String hash = "\"0x" + "12".repeat(32) + "\"";
        post(call(1, "eth_getBlockByHash", "[" + hash + ",false]"));
        post(call(2, "eth_getBlockByHash", "[" + hash + ",false]"));
        post(call(3, "admin_peers", "[]"));
        fakes.get(0).stop();
        try {
            // Round-robin reaches node-0 within three calls; each of those fails over.
            for (int i = 0; i < 3; i++) {
                post(call(10 + i, "eth_getBalance", "[\"0x01\",\"latest\"]"));
            }
        } finally {
            fakes.get(0).restart();
        }
        String after = Metrics.scrape();
        assertEquals(1, delta(before, after, "railyard_cache_requests_total{" + NET + ",result=\"hit\"}"));
        assertEquals(1, delta(before, after, "railyard_cache_requests_total{" + NET + ",result=\"miss\"}"));
        assertEquals(2, delta(before, after, "railyard_requests_total{method=\"eth_getBlockByHash\"," + NET + ",outcome=\"ok\"}"));
        assertEquals(1, delta(before, after, "railyard_requests_total{method=\"other\"," + NET + ",outcome=\"denied\"}")
                + delta(before, after, "railyard_requests_total{method=\"admin_peers\"," + NET + ",outcome=\"denied\"}"));
        assertEquals(3, delta(before, after, "railyard_requests_total{method=\"eth_getBalance\"," + NET + ",outcome=\"ok\"}"));
        double refused = delta(before, after, "railyard_upstream_requests_total{" + NET + ",outcome=\"connect\",upstream=\"node-0\"}");
        assertTrue(refused >= 1, "round-robin reached the stopped node");
        assertEquals(refused, delta(before, after, "railyard_failovers_total{" + NET + "}"), "each refused call failed over once");
        assertEquals(1, Metrics.value(after, "railyard_upstream_up{" + NET + ",upstream=\"node-2\"}"), after);
        assertEquals(fakes.get(2).head(), Metrics.value(after, "railyard_upstream_head_block{" + NET + ",upstream=\"node-2\"}"));
        assertTrue(after.contains("railyard_request_duration_seconds_bucket{method=\"eth_getBalance\"," + NET + ",le=\"1.0E-4\"}"),
                "buckets resolve 100 µs");
        assertTrue(after.contains("railyard_cache_bytes "));
    }

    @Test
    void madeUpMethodNamesAddNoSeries() {
        fakes.nodes().forEach(n -> n.everything(null));
        for (int i = 0; i < 50; i++) {
            post(call(i, "made_up_" + i, "[]"));
        }
        String scrape = Metrics.scrape();
        assertFalse(scrape.contains("made_up_"));
        assertTrue(Metrics.value(scrape, "railyard_requests_total{method=\"other\"," + NET + ",outcome=\"rpc_error\"}") >= 50);
    }

    @Test
    void circuitBreakerEjectsAnUpstreamFailingLiveTrafficAndProbesReadmitIt() {
        String before = Metrics.scrape();
        fakes.get(0).on("eth_getBalance", req -> new FakeUpstream.Status(500, "boom"));
        fakes.nodes().forEach(n -> { if (n != fakes.get(0)) n.result("eth_getBalance", "\"0x7\""); });
        for (int i = 0; i < 15; i++) {
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"result\":\"0x7\"}", post(call(i, "eth_getBalance", "[\"0x02\",\"latest\"]")).asString());
        }
        assertEquals(1, delta(before, Metrics.scrape(),
                "railyard_upstream_ejections_total{" + NET + ",reason=\"circuit_breaker\",upstream=\"node-0\"}"));
        // Probes still pass, so node-0 comes back and its breaker is closed again.
        Probes.until("node-0 readmitted", () -> pool().upstreams().get(0).isHealthy()
                && pool().upstreams().get(0).breaker().state() == CircuitBreakerState.CLOSED, 3);
    }

    @Test
    void clientsHangingUpDoNotTripTheBreaker() throws Exception {
        fakes.nodes().forEach(n -> n.on("eth_call", req -> new FakeUpstream.Hang()));
        String before = Metrics.scrape();
        int port = io.restassured.RestAssured.port;
        for (int i = 0; i < 12; i++) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                String body = call(i, "eth_call", "[{\"to\":\"0x01\"},\"latest\"]");
                OutputStream out = socket.getOutputStream();
                out.write(("POST /testnet HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                int sent = i + 1;
                Await.until("call " + sent + " reached a node", () -> fakes.calls("eth_call") >= sent);
            }
        }
        Await.until("cancellations counted", () -> Metrics.value("railyard_upstream_requests_total{" + NET
                + ",outcome=\"cancelled\",upstream=\"node-0\"}") + Metrics.value("railyard_upstream_requests_total{" + NET
                + ",outcome=\"cancelled\",upstream=\"node-1\"}") + Metrics.value("railyard_upstream_requests_total{" + NET
                + ",outcome=\"cancelled\",upstream=\"node-2\"}") >= 12);
        String after = Metrics.scrape();
        for (Upstream u : pool().upstreams()) {
            assertEquals(CircuitBreakerState.CLOSED, u.breaker().state(), u.name());
            assertTrue(u.isHealthy());
            assertEquals(0, delta(before, after, "railyard_upstream_ejections_total{" + NET + ",reason=\"circuit_breaker\",upstream=\""
                    + u.name() + "\"}"));
            assertEquals(0, u.inFlight(), "cancelled calls are not left in flight");
        }
    }

    private static double delta(String before, String after, String series) {
        return Metrics.value(after, series) - Metrics.value(before, series);
    }
}
