package io.railyard.memory;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.Management;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 23: an OutOfMemoryError is never survived silently. Without {@code -XX:+ExitOnOutOfMemoryError} (as here:
 * the test JVM does not set it), one reaching Vert.x's exception handler takes liveness DOWN for good, so that the
 * orchestrator restarts a process that may have lost handlers mid-way. (Its own application: it does not come back.)
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true)
class OutOfMemoryLivenessTest {

    @Inject
    Vertx vertx;

    @Test
    void anOutOfMemoryErrorTakesLivenessDown() {
        assertEquals(200, Management.given().get("/q/health/live").statusCode());
        vertx.exceptionHandler().handle(new OutOfMemoryError("Java heap space (thrown by the test)"));
        io.restassured.response.Response live = Management.given().get("/q/health/live");
        assertEquals(503, live.statusCode(), live.asString());
        JsonObject check = new JsonObject(live.asString()).getJsonArray("checks").getJsonObject(0);
        assertTrue(check.getJsonObject("data").getBoolean("outOfMemory"), check.toString());
    }
}
