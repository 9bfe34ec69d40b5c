package io.railyard.upstream;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.reliability.HostileUpstream;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodesResource;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The budget for upstream answer bytes being received at once (issue 23), 150 KB here: a node that declares a
 * 100 KB answer and sends half of it holds 100 KB of the budget until its try times out; meanwhile another 100 KB
 * answer does not fit and its client is told 503/-32002 at once instead of the heap growing; once the hung call is
 * settled the budget is whole again and the same read is answered.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.forward.max-answer-bytes-in-flight", value = "150000"),
        @ResourceArg(name = "railyard.forward.try-timeout", value = "1500ms"),
        @ResourceArg(name = "railyard.forward.max-attempts", value = "1"),
        @ResourceArg(name = "railyard.health.circuit-breaker.request-volume", value = "100000")})
@QuarkusTestResource(value = HostileUpstream.class, restrictToAnnotatedClass = true,
        initArgs = @ResourceArg(name = "network", value = "hostile"))
class AnswerBudgetTest {

    private static final String HUNDRED_KB = "\"0x" + "ab".repeat(50_000) + "\"";

    HostileUpstream node;

    @Inject
    UpstreamPools pools;

    private static Response call(int id) {
        return given().contentType("application/json")
                .body("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"eth_call\",\"params\":[{\"to\":\"0x01\",\"data\":\"0x" + id + "\"},\"latest\"]}")
                .post("/hostile");
    }

    @Test
    void anAnswerThatWouldPassTheBudgetIsRefusedAtOnceAndTheBudgetComesBackWhenTheHeldCallIsSettled() throws Exception {
        Await.allHealthy(pools.pool("hostile"));
        node.honest = req -> HUNDRED_KB;
        node.mode = HostileUpstream.Mode.PARTIAL_THEN_HANG;
        CompletableFuture<Response> held = CompletableFuture.supplyAsync(() -> call(1));
        Await.until("the hung answer holds its declared bytes", () -> pools.client().answerBytesInFlight() >= 100_000);

        node.mode = HostileUpstream.Mode.HONEST;
        int callsBefore = node.trafficCalls.get();
        Response refused = call(2);
        assertEquals(503, refused.statusCode(), refused.asString().substring(0, Math.min(200, refused.asString().length())));
        JsonObject error = new JsonObject(refused.asString()).getJsonObject("error");
        assertEquals(-32002, error.getInteger("code"));
        assertTrue(error.getString("message").contains("railyard.forward.max-answer-bytes-in-flight"), error.toString());
        assertEquals(callsBefore + 1, node.trafficCalls.get(), "one upstream call: refused when its answer declares its size, not tried again");

        assertEquals(503, held.get(10, TimeUnit.SECONDS).statusCode(), "the hung call times out");
        Await.until("the budget whole again", () -> pools.client().answerBytesInFlight() == 0);
        Response answered = call(3);
        assertEquals(200, answered.statusCode(), answered.asString());
        assertEquals(HUNDRED_KB.length() - 2, new JsonObject(answered.asString()).getString("result").length());
        assertEquals(0, pools.client().answerBytesInFlight(), "an answered call gives its bytes back");
    }
}
