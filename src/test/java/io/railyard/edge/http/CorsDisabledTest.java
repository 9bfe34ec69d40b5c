package io.railyard.edge.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.FakeNodesResource;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code railyard.cors.enabled=false}: no preflight is answered and no answer carries CORS headers, but an API key's
 * {@code allowed-origins} still refuses other sites' pages (a text/plain POST needs no preflight).
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.cors.enabled", value = "false"),
        @ResourceArg(name = "railyard.api-keys.web.key", value = "web-secret"),
        @ResourceArg(name = "railyard.api-keys.web.allowed-origins", value = "https://app.example")})
class CorsDisabledTest {

    static final String CHAIN_ID = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}";

    @Test
    void noPreflightIsAnsweredAndNoAnswerCarriesCorsHeaders() {
        Response preflight = given().header("Origin", "https://app.example").header("Access-Control-Request-Method", "POST")
                .options("/testnet");
        assertNotEquals(204, preflight.statusCode(), "not answered as a preflight");
        assertNull(preflight.header("Access-Control-Allow-Origin"));
        Response answer = given().header("Origin", "https://app.example").contentType("application/json").body(CHAIN_ID).post("/testnet");
        assertEquals(200, answer.statusCode());
        assertNull(answer.header("Access-Control-Allow-Origin"));
        assertNull(answer.header("Vary"));
        assertNull(io.railyard.testing.Management.given().header("Origin", "https://app.example").get("/status").header("Access-Control-Allow-Origin"));
    }

    @Test
    void aKeysOriginListStillHolds() {
        Response other = given().header("Origin", "https://evil.example").contentType("text/plain").body(CHAIN_ID)
                .post("/testnet/web-secret");
        assertEquals(403, other.statusCode());
        assertEquals(-32001, other.jsonPath().getInt("error.code"));
        assertEquals(200, given().header("Origin", "https://app.example").contentType("application/json").body(CHAIN_ID)
                .post("/testnet/web-secret").statusCode());
    }
}
