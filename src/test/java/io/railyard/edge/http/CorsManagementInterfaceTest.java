package io.railyard.edge.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.railyard.testing.FakeNodesResource;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * With the management interface on ({@code quarkus.management.enabled}, where {@code /q/health} then lives), health
 * is readable from an allowed origin and only from one: Quarkus 3.33 has no {@code quarkus.management.cors.*} and
 * puts a CorsHandler allowing {@code *} on that interface, so {@link Cors} adds its routes to the management router
 * too and takes the {@code *} back from origins its list refuses.
 */
@QuarkusTest
@TestProfile(CorsManagementInterfaceTest.ManagementOn.class)
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true)
class CorsManagementInterfaceTest {

    static final int PORT = freePort();

    public static final class ManagementOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.management.enabled", "true",
                    "quarkus.management.host", "127.0.0.1",
                    "quarkus.management.test-port", Integer.toString(PORT),
                    "railyard.cors.allowed-origins", "https://dashboard.example");
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void healthOnTheManagementPortCarriesTheHeadersForAnAllowedOrigin() {
        for (String path : new String[] {"/q/health/ready", "/q/health/live"}) {
            Response allowed = given().port(PORT).header("Origin", "https://dashboard.example").get(path);
            assertEquals(200, allowed.statusCode(), path);
            assertEquals("https://dashboard.example", allowed.header("Access-Control-Allow-Origin"), path);
            assertEquals("Origin", allowed.header("Vary"), path);
            Response refused = given().port(PORT).header("Origin", "https://evil.example").get(path);
            assertNull(refused.header("Access-Control-Allow-Origin"), path);
            Response preflight = given().port(PORT).header("Origin", "https://dashboard.example")
                    .header("Access-Control-Request-Method", "GET").options(path);
            // Quarkus's own handler answers preflights here, for every origin, before any route of ours; a GET
            // without custom headers needs none, and what a page may read is decided above.
            assertEquals(204, preflight.statusCode(), path);
        }
    }
}
