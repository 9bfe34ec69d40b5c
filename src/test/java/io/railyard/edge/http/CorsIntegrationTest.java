package io.railyard.edge.http;

import io.railyard.testing.Management;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.LogCapture;
import io.railyard.testing.Metrics;
import io.railyard.upstream.UpstreamPools;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CORS against fake nodes: preflights on every JSON-RPC path (never reaching a node, never spending quota), the
 * headers on every kind of answer, per-network lists, per-key origin lists, refusals counted and logged, and the
 * read-only endpoints.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "mirror-networks", value = "open,private"),
        @ResourceArg(name = "railyard.cors.allowed-origins", value = "http://app.example,https://*.example.org"),
        @ResourceArg(name = "railyard.cors.max-age", value = "10m"),
        @ResourceArg(name = "railyard.cors.allowed-headers", value = "X-Request-Id"),
        @ResourceArg(name = "railyard.networks.open.cors.allowed-origins", value = "*"),
        @ResourceArg(name = "railyard.networks.private.cors.allowed-origins", value = "https://wallet.example"),
        @ResourceArg(name = "railyard.networks.private.require-api-key", value = "true"),
        @ResourceArg(name = "railyard.api-keys.web.key", value = "web-secret"),
        @ResourceArg(name = "railyard.api-keys.web.allowed-origins", value = "http://app.example,https://wallet.example"),
        @ResourceArg(name = "railyard.api-keys.server.key", value = "server-secret"),
        @ResourceArg(name = "railyard.trusted-proxies", value = "127.0.0.1"),
        @ResourceArg(name = "railyard.rate-limit.per-ip.rate", value = "1"),
        @ResourceArg(name = "railyard.rate-limit.per-ip.burst", value = "2"),
        @ResourceArg(name = "railyard.limits.max-body-bytes", value = "4096"),
        @ResourceArg(name = "railyard.limits.body-read-timeout", value = "300ms")})
class CorsIntegrationTest {

    static final String APP = "http://app.example";
    static final String CHAIN_ID = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}";
    static final String BALANCE = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_getBalance\",\"params\":[\"0x01\",\"latest\"]}";
    private static int nextClient = 1;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @BeforeEach
    void healthy() {
        fakes.resetAll();
        Await.allHealthy(pools.pool("testnet"));
        fakes.nodes().forEach(n -> n.result("eth_getBalance", "\"0x5\""));
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }

    /** Each test speaks from its own address (through the trusted loopback proxy), so quota never leaks between tests. */
    private static RequestSpecification client() {
        return given().header("X-Forwarded-For", "198.51.100." + (nextClient++));
    }

    private static RequestSpecification client(String address) {
        return given().header("X-Forwarded-For", address);
    }

    private static Response preflight(RequestSpecification client, String path, String origin) {
        return client.header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type,x-api-key")
                .options(path);
    }

    private static Response post(RequestSpecification client, String path, String origin, String body) {
        RequestSpecification request = client.contentType("application/json").body(body);
        if (origin != null) {
            request.header("Origin", origin);
        }
        return request.post(path);
    }

    private static double refused(String network) {
        return Metrics.value("railyard_cors_refused_total{network=\"" + network + "\"}");
    }

    private static void assertCorsAnswer(Response r, String allowedOrigin, String what) {
        assertEquals(allowedOrigin, r.header("Access-Control-Allow-Origin"), what + ": Access-Control-Allow-Origin");
        assertEquals("Origin", r.header("Vary"), what + ": Vary");
        assertEquals("Retry-After, RateLimit, RateLimit-Policy", r.header("Access-Control-Expose-Headers"), what + ": exposed headers");
        assertNull(r.header("Access-Control-Allow-Credentials"), what + ": never credentials");
    }

    private static int code(Response r) {
        return new JsonObject(r.asString()).getJsonObject("error").getInteger("code");
    }

    @Test
    void aPreflightOnEveryJsonRpcPathIsAnswered204WithTheRequestsOrigin() {
        for (String path : List.of("/", "/testnet", "/testnet/web-secret", "/testnet/not-a-key")) {
            Response r = preflight(client(), path, APP);
            assertEquals(204, r.statusCode(), path);
            assertEquals(APP, r.header("Access-Control-Allow-Origin"), path + ": the request's origin, not *");
            assertEquals("POST, OPTIONS", r.header("Access-Control-Allow-Methods"), path);
            assertEquals("content-type, x-api-key, authorization, x-request-id", r.header("Access-Control-Allow-Headers"), path);
            assertEquals("600", r.header("Access-Control-Max-Age"), path);
            assertEquals("Origin", r.header("Vary"), path);
            assertNull(r.header("Access-Control-Allow-Credentials"), path);
            assertEquals("", r.asString(), path);
        }
        Response plain = client().options("/testnet");
        assertEquals(204, plain.statusCode(), "an OPTIONS without Origin is no preflight; it learns the methods");
        assertEquals("POST, OPTIONS", plain.header("Allow"));
        assertNull(plain.header("Access-Control-Allow-Origin"));
        Response wildcard = preflight(client(), "/testnet", "https://dapp.example.org");
        assertEquals(204, wildcard.statusCode());
        assertEquals("https://dapp.example.org", wildcard.header("Access-Control-Allow-Origin"));
    }

    @Test
    void aPreflightNeverReachesANodeAndNeverSpendsQuota() {
        String address = "198.51.100." + (nextClient++);
        for (int i = 0; i < 10; i++) {
            assertEquals(204, preflight(client(address), "/testnet", APP).statusCode());
            assertEquals(204, preflight(client(address), "/testnet/web-secret", APP).statusCode());
        }
        assertEquals(0, fakes.trafficCalls(), "no preflight reached a node");
        // The client's burst of 2 is untouched by twenty preflights.
        assertEquals(200, post(client(address), "/testnet", APP, BALANCE).statusCode());
        assertEquals(200, post(client(address), "/testnet", APP, BALANCE).statusCode());
        assertEquals(429, post(client(address), "/testnet", APP, BALANCE).statusCode(), "the burst is 2 requests");
        assertEquals(2, fakes.calls("eth_getBalance"));
    }

    @Test
    void aRefusedOriginsPreflightIs403WithoutAllowOriginAndIsCountedAndLoggedOncePerMinute() {
        double before = refused("testnet");
        try (LogCapture log = LogCapture.of(Cors.class)) {
            for (String evil : List.of("https://evil-preflight.example", "https://evil-preflight.example", "https://example.org",
                    "https://evil.example.org.attacker.com", "https://app.example", "http://app.example:8080")) {
                Response r = preflight(client(), "/testnet", evil);
                assertEquals(403, r.statusCode(), evil);
                assertNull(r.header("Access-Control-Allow-Origin"), evil);
                assertNull(r.header("Access-Control-Allow-Methods"), evil);
                assertEquals("Origin", r.header("Vary"), evil);
            }
            assertEquals(1, log.matching("'https://evil-preflight.example'", "network testnet", "railyard.cors.allowed-origins").size(),
                    "two refusals of one origin within a minute, one log line: " + log.messages());
            assertEquals(5, log.matching("CORS: refused origin").size(), log.messages().toString());
        }
        assertEquals(6, refused("testnet") - before, "every refusal counts");
        assertEquals(0, fakes.trafficCalls());
    }

    @Test
    void theRefusalCounterStartsAtZeroForEveryNetwork() {
        String scrape = Metrics.scrape();
        for (String network : List.of("testnet", "open", "private")) {
            assertTrue(scrape.contains("railyard_cors_refused_total{network=\"" + network + "\"} "), network + " has its series before any refusal");
        }
    }

    @Test
    void hostileOriginHeadersAreRefused() {
        String huge = "https://" + "a".repeat(10 * 1024) + ".example.org";
        Response r = preflight(client(), "/open", huge);
        assertEquals(403, r.statusCode(), "even where every origin is allowed");
        assertNull(r.header("Access-Control-Allow-Origin"));
        Response answer = post(client(), "/open", huge, CHAIN_ID);
        assertEquals(200, answer.statusCode(), "the request itself is served; the browser is simply not let in");
        assertNull(answer.header("Access-Control-Allow-Origin"));
        Response tab = preflight(client(), "/open", "https://app.example\tx");
        assertEquals(403, tab.statusCode());
    }

    @Test
    void eachNetworkHasItsOwnList() {
        Response any = preflight(client(), "/open", "https://anyone.example");
        assertEquals(204, any.statusCode());
        assertEquals("*", any.header("Access-Control-Allow-Origin"), "'*' only where the list is '*'");
        assertEquals("*", post(client(), "/open", "https://anyone.example", CHAIN_ID).header("Access-Control-Allow-Origin"));

        double before = refused("private");
        Response wallet = preflight(client(), "/private", "https://wallet.example");
        assertEquals(204, wallet.statusCode());
        assertEquals("https://wallet.example", wallet.header("Access-Control-Allow-Origin"));
        Response app = preflight(client(), "/private/web-secret", APP);
        assertEquals(403, app.statusCode(), "the network's list replaces the global one");
        assertEquals(1, refused("private") - before);
        assertEquals(403, preflight(client(), "/testnet", "https://wallet.example").statusCode(), "and only on its network");
    }

    @Test
    void actualAnswersCarryTheHeadersOnEveryPath() {
        for (String path : List.of("/", "/testnet", "/testnet/server-secret")) {
            Response r = post(client(), path, APP, CHAIN_ID);
            assertEquals(200, r.statusCode(), path);
            assertEquals("0x1", new JsonObject(r.asString()).getString("result"), path);
            assertCorsAnswer(r, APP, path);
        }
        Response withoutOrigin = post(client(), "/testnet", null, CHAIN_ID);
        assertEquals(200, withoutOrigin.statusCode());
        assertNull(withoutOrigin.header("Access-Control-Allow-Origin"), "no Origin, not a browser: nothing to allow");
        assertEquals("Origin", withoutOrigin.header("Vary"), "the answer depends on the Origin a browser would send");

        double before = refused("testnet");
        Response refusedOrigin = post(client(), "/testnet", "https://evil.example", CHAIN_ID);
        assertEquals(200, refusedOrigin.statusCode());
        assertNull(refusedOrigin.header("Access-Control-Allow-Origin"), "the browser keeps the answer from the page");
        assertNull(refusedOrigin.header("Access-Control-Expose-Headers"));
        assertEquals(1, refused("testnet") - before);
    }

    @Test
    void errorAnswersCarryTheHeadersSoThePageSeesTheRealError() {
        Response unauthorized = post(client(), "/private", "https://wallet.example", CHAIN_ID);
        assertEquals(401, unauthorized.statusCode());
        assertEquals(-32001, code(unauthorized));
        assertCorsAnswer(unauthorized, "https://wallet.example", "401");

        String address = "198.51.100." + (nextClient++);
        post(client(address), "/testnet", APP, CHAIN_ID);
        post(client(address), "/testnet", APP, CHAIN_ID);
        Response limited = post(client(address), "/testnet", APP, CHAIN_ID);
        assertEquals(429, limited.statusCode());
        assertEquals(-32005, code(limited));
        assertCorsAnswer(limited, APP, "429");
        assertEquals("1", limited.header("Retry-After"), "readable by the page: it is an exposed header");

        Response tooLarge = post(client(), "/testnet", APP, "[" + "1,".repeat(3000) + "1]");
        assertEquals(413, tooLarge.statusCode());
        assertCorsAnswer(tooLarge, APP, "413");

        Response unknown = post(client(), "/nosuchnet", APP, CHAIN_ID);
        assertEquals(404, unknown.statusCode());
        assertCorsAnswer(unknown, APP, "404 (the global list decides for a network that does not exist)");

        Response parse = post(client(), "/testnet", APP, "{not json");
        assertEquals(-32700, code(parse));
        assertCorsAnswer(parse, APP, "parse error");

        fakes.nodes().forEach(n -> n.on("eth_getCode", req -> new FakeUpstream.Status(500, "down")));
        Response unavailable = post(client(), "/testnet", APP,
                "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"eth_getCode\",\"params\":[\"0x01\",\"latest\"]}");
        assertEquals(503, unavailable.statusCode());
        assertCorsAnswer(unavailable, APP, "503");
    }

    @Test
    void aSlowBodysTimeoutCarriesTheHeaders() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /testnet HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + APP + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"jsonrpc\"").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readHead(socket.getInputStream());
            assertTrue(head.startsWith("http/1.1 408"), head);
            assertTrue(head.contains("access-control-allow-origin: " + APP + "\r\n"), head);
            assertTrue(head.contains("vary: origin"), head);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.size() >= 4 && head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                break;
            }
        }
        return head.toString(StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
    }

    @Test
    void aKeyLimitedToOtherOriginsIsRefusedWith403NamingTheOriginWithoutReachingANodeOrSpendingQuota() {
        double before = refused("testnet");
        String address = "198.51.100." + (nextClient++);
        Response path = post(client(address), "/testnet/web-secret", "https://dapp.example.org", BALANCE);
        assertEquals(403, path.statusCode());
        JsonObject error = new JsonObject(path.asString()).getJsonObject("error");
        assertEquals(-32001, error.getInteger("code"));
        assertTrue(error.getString("message").contains("'https://dapp.example.org'"), error.getString("message"));
        assertTrue(error.getString("message").contains("railyard.api-keys.web.allowed-origins"), error.getString("message"));
        assertCorsAnswer(path, "https://dapp.example.org", "the network allows the page, so it can read why the key refused it");

        Response header = post(client(address).header("X-Api-Key", "web-secret"), "/testnet", "https://dapp.example.org", BALANCE);
        assertEquals(403, header.statusCode(), "the key in the X-Api-Key header is held to the same list");
        assertEquals(2, refused("testnet") - before);
        assertEquals(0, fakes.calls("eth_getBalance"), "refused before anything reaches a node");

        assertEquals(200, post(client(address), "/testnet/web-secret", APP, BALANCE).statusCode(), "an origin of the key's own");
        assertEquals(200, post(client(address), "/testnet/web-secret", null, BALANCE).statusCode(),
                "without an Origin (not a browser) the key works as before");
        assertEquals(200, post(client(address), "/testnet/server-secret", "https://dapp.example.org", BALANCE).statusCode(),
                "a key without a list is not held to one");
        assertEquals(200, post(client(address), "/private/web-secret", "https://wallet.example", BALANCE).statusCode());
        assertEquals(4, fakes.calls("eth_getBalance"));
    }

    @Test
    void anOriginRefusedByTheNetworkAndByTheKeyCountsOnce() {
        double before = refused("testnet");
        Response r = post(client(), "/testnet/web-secret", "https://evil-both.example", BALANCE);
        assertEquals(403, r.statusCode());
        assertNull(r.header("Access-Control-Allow-Origin"), "the network refuses the page too");
        assertEquals(1, refused("testnet") - before);
    }

    @Test
    void statusAndHealthOnTheManagementPortCanBeReadFromAnAllowedOrigin() {
        for (String path : List.of("/status", "/q/health/ready", "/q/health/live", "/q/health")) {
            Response r = Management.given().header("Origin", APP).get(path);
            assertEquals(200, r.statusCode(), path);
            assertEquals(APP, r.header("Access-Control-Allow-Origin"), path);
            assertEquals("Origin", r.header("Vary"), path);
            Response evil = Management.given().header("Origin", "https://evil.example").get(path);
            assertEquals(200, evil.statusCode(), path);
            assertNull(evil.header("Access-Control-Allow-Origin"), path);
            Response plain = Management.given().get(path);
            assertNull(plain.header("Access-Control-Allow-Origin"), path);
        }
        assertTrue(Management.given().header("Origin", APP).accept("application/json").get("/status").asString().contains("\"testnet\""));
    }
}
