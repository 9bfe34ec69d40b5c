package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow, idle and too many clients: a body trickled or never sent is cut off with 408 after
 * {@code railyard.limits.body-read-timeout} (1 s here) and its connection closed (trickled heads: SlowHeadersTest);
 * 2,000 idle connections do not keep a normal client from being served and are closed after
 * {@code quarkus.http.idle-timeout} (5 s here); above {@code railyard.limits.max-in-flight} (5 here) requests are
 * shed at once with 503/-32002, and the gateway serves again as soon as the load drops.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.limits.body-read-timeout", value = "1s"),
        @ResourceArg(name = "railyard.limits.max-in-flight", value = "5"),
        @ResourceArg(name = "quarkus.http.idle-timeout", value = "5s")})
class SlowClientTest {

    private static final long BODY_TIMEOUT_MS = 1000;
    private static final long IDLE_TIMEOUT_MS = 5000;
    private static final int IDLE_CONNECTIONS = 2000;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void healthy() {
        fakes.resetAll();
        Await.allHealthy(pools.pool(FakeNodesResource.NETWORK));
    }

    private int port() {
        return gateway.getPort();
    }

    private static String call(int id, String method) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":[]}";
    }

    /** A normal client's request on its own connection: the answer and how long it took. */
    private record Timed(HttpResponse<String> response, long millis) {
    }

    private Timed normal(int id) throws IOException, InterruptedException {
        long started = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway + "testnet"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(call(id, "eth_blockNumber"))).build(), HttpResponse.BodyHandlers.ofString());
        return new Timed(r, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private void assertServedPromptly(Timed t, int id) {
        assertEquals(200, t.response().statusCode(), t.response().body());
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":\"0x64\"}", t.response().body());
        assertTrue(t.millis() < 1500, "a normal client waited " + t.millis() + " ms");
    }

    // ---------------------------------------------------------------- slow bodies

    @Test
    void aTrickledBodyGets408AndItsConnectionClosedWhileOtherClientsAreServed() throws Exception {
        String body = call(1, "eth_blockNumber");
        try (Socket slow = new Socket("127.0.0.1", port())) {
            OutputStream out = slow.getOutputStream();
            out.write(RawHttp.head("/testnet", "application/json", List.of(), body.length(), false, false));
            out.flush();
            long started = System.nanoTime();
            // One byte every 100 ms: the whole body would take about 5 s.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger trickled = new AtomicInteger();
            Thread trickler = new Thread(() -> {
                try {
                    for (int i = 0; i < body.length() && !stop.get(); i++) {
                        out.write(body.charAt(i));
                        out.flush();
                        trickled.incrementAndGet();
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // cut off
                }
            });
            trickler.start();
            // Meanwhile, other clients are served as usual.
            for (int i = 0; i < 5; i++) {
                assertServedPromptly(normal(100 + i), 100 + i);
            }
            slow.setSoTimeout(5000);
            InputStream in = slow.getInputStream();
            RawHttp.Response r = RawHttp.read(in);
            long answeredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            stop.set(true);
            assertEquals(408, r.status(), r.text());
            JsonObject error = new JsonObject(r.text()).getJsonObject("error");
            assertEquals(-32600, error.getInteger("code"));
            assertTrue(error.getString("message").contains("railyard.limits.body-read-timeout"), error.getString("message"));
            assertEquals("close", r.header("connection"));
            assertTrue(answeredMs >= BODY_TIMEOUT_MS - 100 && answeredMs < BODY_TIMEOUT_MS + 1500,
                    "408 after " + answeredMs + " ms (timeout " + BODY_TIMEOUT_MS + " ms)");
            assertTrue(trickled.get() < body.length(), "cut off before the body was complete");
            assertTrue(RawHttp.closedByPeer(slow, 2000), "the gateway closed the connection");
            trickler.join(5000);
        }
    }

    @Test
    void aBodyThatNeverComesGets408() throws Exception {
        for (boolean chunked : new boolean[]{false, true}) {
            try (Socket slow = new Socket("127.0.0.1", port())) {
                slow.setSoTimeout(5000);
                OutputStream out = slow.getOutputStream();
                out.write(RawHttp.head("/testnet", "application/json", List.of(), 500, chunked, false));
                out.write((chunked ? "5\r\n{\"jso\r\n" : "{\"jsonrpc\":").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long started = System.nanoTime();
                RawHttp.Response r = RawHttp.read(slow.getInputStream());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertEquals(408, r.status(), (chunked ? "chunked: " : "") + r.text());
                assertTrue(ms < BODY_TIMEOUT_MS + 1500, "408 after " + ms + " ms");
                assertTrue(RawHttp.closedByPeer(slow, 2000), "the gateway closed the connection");
            }
        }
        assertServedPromptly(normal(7), 7);
    }

    @Test
    void clientsThatHangUpOrAreCutOffGiveBackTheirInFlightSlots() throws Exception {
        // Ten clients start a body and hang up: twice max-in-flight.
        for (int i = 0; i < 10; i++) {
            try (Socket s = new Socket("127.0.0.1", port())) {
                s.getOutputStream().write(RawHttp.head("/testnet", "application/json", List.of(), 100, false, false));
                s.getOutputStream().write("{\"jsonrpc\"".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
        }
        Await.until("every slot free after clients hung up mid-body", this::fiveAtOnceAreAdmitted);

        // Five clients send their headers and never their body: they hold every slot until they are cut off.
        List<Socket> cutOff = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                Socket s = new Socket("127.0.0.1", port());
                cutOff.add(s);
                s.getOutputStream().write(RawHttp.head("/testnet", "application/json", List.of(), 100, false, false));
                s.getOutputStream().flush();
            }
            for (Socket s : cutOff) {
                s.setSoTimeout(5000);
                assertEquals(408, RawHttp.read(s.getInputStream()).status());
            }
        } finally {
            for (Socket s : cutOff) {
                s.close();
            }
        }
        Await.until("every slot free after 408s", this::fiveAtOnceAreAdmitted);

        // Ten clients hang up while their request is with a (hung) node.
        fakes.nodes().forEach(n -> n.on("eth_call", req -> new FakeUpstream.Hang()));
        for (int i = 0; i < 10; i++) {
            try (Socket s = new Socket("127.0.0.1", port())) {
                String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":[{\"to\":\"0x01\"},\"latest\"]}";
                s.getOutputStream().write(RawHttp.head("/testnet", "application/json", List.of(), body.length(), false, false));
                s.getOutputStream().write(body.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                int reached = i + 1;
                Await.until("call " + reached + " reached a node", () -> fakes.calls("eth_call") >= reached);
            }
        }
        Await.until("every slot free after clients hung up while forwarded", this::fiveAtOnceAreAdmitted);
    }

    /** Whether five requests sent at once (each held 300 ms by the nodes) are all admitted. */
    private boolean fiveAtOnceAreAdmitted() {
        try {
            fakes.nodes().forEach(n -> n.on("eth_gasPrice", req -> new FakeUpstream.Result("\"0x1\"")).latency(300));
            List<CompletableFuture<HttpResponse<String>>> five = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                five.add(http.sendAsync(HttpRequest.newBuilder(URI.create(gateway + "testnet")).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(call(i, "eth_gasPrice"))).build(), HttpResponse.BodyHandlers.ofString()));
            }
            boolean all = true;
            for (CompletableFuture<HttpResponse<String>> f : five) {
                all &= f.get(10, TimeUnit.SECONDS).statusCode() == 200;
            }
            return all;
        } catch (Exception e) {
            return false;
        } finally {
            fakes.nodes().forEach(n -> n.latency(0));
        }
    }

    // ---------------------------------------------------------------- slow headers

    @Test
    void aConnectionThatGoesSilentMidHeadersIsClosedByTheIdleTimeout() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", port())) {
            slow.getOutputStream().write("POST /testnet HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().flush();
            long started = System.nanoTime();
            assertTrue(RawHttp.closedByPeer(slow, (int) IDLE_TIMEOUT_MS + 3000), "closed within the idle timeout and some slack");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(ms >= IDLE_TIMEOUT_MS - 500, "closed after " + ms + " ms, not before the idle timeout");
        }
    }

    // ---------------------------------------------------------------- idle connections

    @Test
    void twoThousandIdleConnectionsDoNotStopANormalClientAndAreClosedAfterTheIdleTimeout() throws Exception {
        List<Socket> idle = new ArrayList<>(IDLE_CONNECTIONS);
        try {
            long started = System.nanoTime();
            byte[] request = ("POST /testnet HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + call(1, "eth_chainId").length() + "\r\n\r\n" + call(1, "eth_chainId")).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < IDLE_CONNECTIONS; i++) {
                Socket s = new Socket("127.0.0.1", port());
                idle.add(s);
                if (i % 10 == 0) {
                    // One in ten is a real keep-alive connection: one request answered, then silence.
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(request);
                    s.getOutputStream().flush();
                    RawHttp.Response r = RawHttp.read(s.getInputStream());
                    assertEquals(200, r.status());
                }
            }
            long openedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            // The normal client is served as usual while the idle connections sit there.
            for (int i = 0; i < 20; i++) {
                assertServedPromptly(normal(200 + i), 200 + i);
            }
            long stillOpen = idle.stream().filter(s -> !RawHttp.closedByPeer(s, 1)).count();
            System.out.printf("idle connections: %d opened in %d ms; %d still open while a normal client was served%n",
                    IDLE_CONNECTIONS, openedMs, stillOpen);
            assertTrue(openedMs > IDLE_TIMEOUT_MS || stillOpen >= IDLE_CONNECTIONS * 9 / 10,
                    "the idle connections were still there: " + stillOpen);

            // After the idle timeout the gateway has closed every one of them.
            long deadline = started + TimeUnit.MILLISECONDS.toNanos(openedMs + IDLE_TIMEOUT_MS + 5000);
            List<Socket> open = new ArrayList<>(idle);
            while (!open.isEmpty() && System.nanoTime() < deadline) {
                open.removeIf(s -> RawHttp.closedByPeer(s, 1));
                Thread.sleep(200);
            }
            assertTrue(open.isEmpty(), open.size() + " idle connections still open after the idle timeout");
            assertServedPromptly(normal(300), 300);
        } finally {
            for (Socket s : idle) {
                try {
                    s.close();
                } catch (IOException e) {
                    // already gone
                }
            }
        }
    }

    // ---------------------------------------------------------------- overload

    @Test
    void aboveMaxInFlightRequestsAreShedAtOnceAndTheGatewayRecoversWhenTheLoadDrops() throws Exception {
        fakes.nodes().forEach(n -> n.on("eth_call", req -> new FakeUpstream.Hang()));
        List<CompletableFuture<HttpResponse<String>>> hanging = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            hanging.add(http.sendAsync(HttpRequest.newBuilder(URI.create(gateway + "testnet")).timeout(Duration.ofSeconds(15))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"eth_call\",\"params\":[{\"to\":\"0x01\"},\"latest\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Await.until("five requests hanging on the nodes", () -> fakes.calls("eth_call") >= 5);

        // The sixth is refused at once, before its body is even read.
        List<Long> shedMs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long started = System.nanoTime();
            RawHttp.Response r = RawHttp.post(port(), "/testnet", "application/json", call(6, "eth_chainId").getBytes(StandardCharsets.US_ASCII), 5000);
            shedMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            assertEquals(503, r.status(), r.text());
            JsonObject answer = new JsonObject(r.text());
            assertEquals(-32002, answer.getJsonObject("error").getInteger("code"));
            assertTrue(answer.getJsonObject("error").getString("message").contains("railyard.limits.max-in-flight"));
            assertNotNull(r.header("retry-after"));
        }
        // A shed request whose body never comes is refused at once too: nothing waits for it.
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(RawHttp.head("/testnet", "application/json", List.of(), 1_000_000, false, false));
            s.getOutputStream().flush();
            long started = System.nanoTime();
            assertEquals(503, RawHttp.read(s.getInputStream()).status());
            shedMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        assertTrue(shedMs.stream().allMatch(ms -> ms < 1000), "shed at once (not queued until the others end): " + shedMs);
        assertFalse(hanging.stream().anyMatch(CompletableFuture::isDone), "the five admitted requests are still being worked on");

        // The load drops (the hung calls run out of time), and the gateway serves again by itself.
        for (CompletableFuture<HttpResponse<String>> f : hanging) {
            HttpResponse<String> r = f.get(15, TimeUnit.SECONDS);
            assertEquals(-32002, new JsonObject(r.body()).getJsonObject("error").getInteger("code"), r.body());
        }
        fakes.nodes().forEach(n -> n.result("eth_call", "\"0xbeef\""));
        for (int i = 0; i < 5; i++) {
            assertServedPromptly(normal(400 + i), 400 + i);
        }
        RawHttp.Response r = RawHttp.post(port(), "/testnet", "application/json",
                "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"eth_call\",\"params\":[{\"to\":\"0x01\"},\"latest\"]}".getBytes(StandardCharsets.US_ASCII), 5000);
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":\"0xbeef\"}", r.text());
    }
}
