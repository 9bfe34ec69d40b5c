package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.AnswerScrub;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code railyard.errors.expose-upstream-names=true} names the last upstream tried, and still nothing else. */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "count", value = "1"),
        @ResourceArg(name = "railyard.errors.expose-upstream-names", value = "true")})
class UpstreamNamesInErrorsTest {

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Test
    void theLastTryIsNamedWithItsReason() {
        fakes.resetAll();
        Await.allHealthy(pools.pool(FakeNodesResource.NETWORK));
        fakes.get(0).on("eth_getBalance", req -> new FakeUpstream.Status(502, "down"));
        String text = given().contentType("application/json")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"0x" + "11".repeat(20) + "\",\"latest\"]}")
                .post("/testnet").asString();
        String message = new JsonObject(text).getJsonObject("error").getString("message");
        assertTrue(message.startsWith("every upstream tried failed (last: node-0: HTTP 502); request id "), message);
        AnswerScrub.assertNoInternals("names exposed", text, List.of(fakes.get(0).port()));
    }
}
