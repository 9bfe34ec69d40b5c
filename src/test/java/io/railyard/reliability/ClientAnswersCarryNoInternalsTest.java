package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.reliability.HostileUpstream.Mode;
import io.railyard.testing.AnswerScrub;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.LogCapture;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every way the forwarder can fail to get an answer, as an anonymous client sees it: a stable reason class and a
 * request id, never an address, a port, a URL, an upstream's name or an exception; the request id leads to a log
 * line with the details. Network {@code testnet} has two scripted fakes (failures-to-eject is out of reach, so a
 * node that fails stays a candidate); network {@code hostile} has one {@link HostileUpstream} as its only upstream.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "count", value = "2"),
        @ResourceArg(name = "railyard.health.failures-to-eject", value = "1000000"),
        @ResourceArg(name = "railyard.health.circuit-breaker.request-volume", value = "4"),
        @ResourceArg(name = "railyard.health.circuit-breaker.delay", value = "1h"),
        @ResourceArg(name = "railyard.forward.try-timeout", value = "300ms"),
        @ResourceArg(name = "railyard.forward.max-response-bytes", value = "65536")})
@QuarkusTestResource(value = HostileUpstream.class, restrictToAnnotatedClass = true, initArgs =
        @ResourceArg(name = "network", value = "hostile"))
class ClientAnswersCarryNoInternalsTest {

    private static final String ADDRESS = "\"0x" + "11".repeat(20) + "\"";

    FakeNodes fakes;

    HostileUpstream hostile;

    @Inject
    UpstreamPools pools;

    private LogCapture log;

    @BeforeEach
    void everyUpstreamACandidate() {
        fakes.resetAll();
        hostile.mode = Mode.HONEST;
        for (String network : List.of("testnet", "hostile")) {
            for (Upstream u : pools.pool(network).upstreams()) {
                u.breaker().reset();
                u.markHealthy("reset by the test", System.currentTimeMillis());
            }
        }
        Await.allHealthy(pool("testnet"));
        log = LogCapture.of("io.railyard");
    }

    @AfterEach
    void closeLog() {
        log.close();
    }

    private UpstreamPool pool(String network) {
        return pools.pool(network);
    }

    private List<Integer> upstreamPorts() {
        List<Integer> ports = new ArrayList<>(fakes.nodes().stream().map(FakeUpstream::port).toList());
        pool("hostile").upstreams().forEach(u -> ports.add(u.url().getPort()));
        return ports;
    }

    private static String call(String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":" + params + "}";
    }

    private static String balance(String block) {
        return call("eth_getBalance", "[" + ADDRESS + ",\"" + block + "\"]");
    }

    private void bothNodes(String method, Function<JsonObject, FakeUpstream.Reply> reply) {
        fakes.nodes().forEach(n -> n.on(method, reply));
    }

    /**
     * Sends the body, checks the answer carries no internal and a request id that a log line carries, and returns
     * the error message (of the first entry, for a batch).
     */
    private String scrubbed(String where, String path, String body) {
        Response r = given().contentType("application/json").body(body).post(path);
        String text = r.asString();
        AnswerScrub.assertNoInternals(where, text, upstreamPorts());
        for (String name : List.of("node-0", "node-1", HostileUpstream.NAME)) {
            assertFalse(text.contains(name), where + ": the answer names upstream " + name + ": " + text);
        }
        List<String> ids = AnswerScrub.requestIds(text);
        assertFalse(ids.isEmpty(), where + ": the answer carries a request id: " + text);
        Await.until(where + ": a log line names request " + ids.get(0), () -> log.messages().stream().anyMatch(m -> m != null && m.contains(ids.get(0))));
        List<String> lines = log.matching(ids.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.contains("last failure") || l.contains("no healthy")),
                where + ": the log line has the details: " + lines);
        Object parsed = io.vertx.core.json.Json.decodeValue(text);
        JsonObject answer = parsed instanceof io.vertx.core.json.JsonArray a ? a.getJsonObject(0) : (JsonObject) parsed;
        JsonObject error = answer.getJsonObject("error");
        assertEquals(-32002, error.getInteger("code"), where + ": " + text);
        assertEquals(ids.get(0), error.getJsonObject("data").getString("requestId"), where);
        assertTrue(error.getString("message").endsWith("; request id " + ids.get(0)), where + ": " + text);
        return error.getString("message");
    }

    private void expectReason(String where, String reason, Function<JsonObject, FakeUpstream.Reply> reply) {
        bothNodes("eth_getBalance", reply);
        String message = scrubbed(where, "/testnet", balance("latest"));
        assertTrue(message.startsWith("every upstream tried failed (last: " + reason + "); request id "), where + ": " + message);
    }

    @Test
    void connectionRefused() {
        fakes.nodes().forEach(FakeUpstream::stop);
        try {
            String message = scrubbed("refused", "/testnet", balance("latest"));
            assertTrue(message.startsWith("every upstream tried failed (last: connection refused)"), message);
            // What the client is not told, the operator finds under the request id: which node, and where it is.
            String id = message.substring(message.lastIndexOf(' ') + 1);
            List<String> lines = log.matching(id, "last failure: testnet/node-");
            assertEquals(1, lines.size(), log.matching(id).toString());
            assertTrue(fakes.nodes().stream().anyMatch(n -> lines.get(0).contains(":" + n.port())), lines.get(0));
        } finally {
            fakes.nodes().forEach(FakeUpstream::restart);
        }
    }

    @Test
    void connectionReset() {
        expectReason("reset", "connection reset", req -> new FakeUpstream.Close());
    }

    @Test
    void timeout() {
        expectReason("timeout", "timeout", req -> new FakeUpstream.Hang());
    }

    @Test
    void http5xx() {
        expectReason("502", "HTTP 502", req -> new FakeUpstream.Status(502, "<html>nginx at 10.9.8.7:8545, java.net.ConnectException</html>"));
        expectReason("503", "HTTP 503", req -> new FakeUpstream.Status(503, "Service Unavailable"));
    }

    @Test
    void rateLimitedUpstream() {
        expectReason("429", "rate limited upstream", req -> new FakeUpstream.Status(429, "{\"error\":\"over quota for key KEY123\"}"));
    }

    @Test
    void garbageTruncatedOversizedAndWrongIdAreBadAnswers() {
        expectReason("garbage", "bad answer", req -> new FakeUpstream.Raw("<html>proxy error talking to http://10.1.2.3:8545/</html>"));
        expectReason("truncated", "bad answer", req -> new FakeUpstream.Raw("{\"jsonrpc\":\"2.0\",\"id\":"));
        expectReason("oversized", "bad answer", req -> new FakeUpstream.Raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x" + "0".repeat(70_000) + "\"}"));
        expectReason("wrong id", "bad answer", req -> new FakeUpstream.Raw("{\"jsonrpc\":\"2.0\",\"id\":987654,\"result\":\"0x1\"}"));
    }

    @Test
    void breakerOpen() {
        // Probes fail too, so no probe round readmits a node (and closes its breaker) while the test looks.
        fakes.nodes().forEach(n -> n.everything(req -> new FakeUpstream.Status(502, "down")));
        for (int i = 0; i < 4; i++) {
            given().contentType("application/json").body(balance("latest")).post("/testnet");
        }
        Await.until("both breakers open", () -> pool("testnet").upstreams().stream()
                .allMatch(u -> u.breaker().state() == io.smallrye.faulttolerance.api.CircuitBreakerState.OPEN));
        // Probes readmit a node while its breaker still waits out its delay: the node is a candidate, the call is not made.
        pool("testnet").upstreams().forEach(u -> u.markHealthy("probes pass", System.currentTimeMillis()));
        String message = scrubbed("breaker open", "/testnet", balance("latest"));
        assertTrue(message.startsWith("every upstream tried failed (last: circuit open)"), message);
    }

    @Test
    void aBlockAboveEveryHeadIsAskedOfANodeAndItsOwnAnswerPassesThrough() {
        // The pool offers every healthy node when none has reached the block: there is no gateway error to scrub.
        bothNodes("eth_getBalance", req -> new FakeUpstream.Error(-32000, "header not found"));
        String text = given().contentType("application/json").body(balance("0x99999")).post("/testnet").asString();
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32000,\"message\":\"header not found\"}}", text);
    }

    @Test
    void noHealthyUpstream() {
        // Probes fail from now on, so none readmits a node between the ejection and the request.
        fakes.nodes().forEach(n -> n.everything(req -> new FakeUpstream.Status(503, "down")));
        pool("testnet").upstreams().forEach(u -> u.markEjected("ejected by the test", System.currentTimeMillis()));
        String message = scrubbed("no healthy upstream", "/testnet", balance("latest"));
        assertTrue(message.startsWith("no healthy upstream for network testnet; request id "), message);
    }

    @Test
    void aBatchGivesEachFailedEntryTheRequestsId() {
        bothNodes("eth_getBalance", req -> new FakeUpstream.Status(502, "down"));
        String batch = "[" + balance("latest") + "," + balance("0x1").replace("\"id\":7", "\"id\":8") + "]";
        Response r = given().contentType("application/json").body(batch).post("/testnet");
        List<String> ids = AnswerScrub.requestIds(r.asString());
        assertEquals(2, ids.size(), r.asString());
        assertEquals(ids.get(0), ids.get(1), "one request, one id");
        scrubbed("batch", "/testnet", batch);
    }

    @Test
    void aFilterWhoseNodeFailsAndABroadcastThatReachesNoNode() {
        bothNodes("eth_newFilter", req -> new FakeUpstream.Result("\"0xfeed\""));
        given().contentType("application/json").body(call("eth_newFilter", "[{}]")).post("/testnet");
        bothNodes("eth_getFilterChanges", req -> new FakeUpstream.Status(502, "down"));
        String message = scrubbed("filter owner failed", "/testnet", call("eth_getFilterChanges", "[\"0xfeed\"]"));
        assertTrue(message.startsWith("the upstream that holds this filter failed (HTTP 502)"), message);

        bothNodes("eth_sendRawTransaction", req -> new FakeUpstream.Close());
        message = scrubbed("broadcast", "/testnet", call("eth_sendRawTransaction", "[\"0x02f86c0180\"]"));
        assertTrue(message.startsWith("every upstream tried failed (last: connection reset)"), message);
    }

    @Test
    void aNodesOwnErrorPassesThroughUnchanged() {
        bothNodes("eth_call", req -> new FakeUpstream.Error(3, "execution reverted: owner is 0xabc"));
        String text = given().contentType("application/json").body(call("eth_call", "[{},\"latest\"]")).post("/testnet").asString();
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":3,\"message\":\"execution reverted: owner is 0xabc\"}}", text);
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, mode = EnumSource.Mode.EXCLUDE, names = "HONEST")
    void everyHostileAnswer(Mode mode) {
        hostile.mode = mode;
        Response r = given().contentType("application/json").body(balance("latest")).post("/hostile");
        String text = r.asString();
        AnswerScrub.assertNoInternals(mode.name(), text, upstreamPorts());
        assertFalse(text.contains(HostileUpstream.NAME), mode + ": " + text);
        assertFalse(text.contains("0xevil"), mode + ": " + text);
        if (text.contains("\"error\"")) {
            List<String> ids = AnswerScrub.requestIds(text);
            assertFalse(ids.isEmpty(), mode + ": the gateway's error carries a request id: " + text);
            Await.until(mode + ": a log line names request " + ids.get(0), () -> !log.matching(ids.get(0)).isEmpty());
        }
    }
}
