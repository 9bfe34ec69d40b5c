package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.Metrics;
import io.railyard.upstream.UpstreamPools;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slowloris: {@code railyard.limits.header-read-timeout} (2 s here) bounds the time a client takes to send a request
 * head, from the head's first byte (or the connection's opening); the connection is then closed, with 408 once it has
 * had a request answered (a new connection is closed without one: Vert.x's idle timer cuts it), while other clients
 * are served. A kept-alive connection may still idle between requests for {@code quarkus.http.idle-timeout} (6 s
 * here), longer than the header deadline.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "railyard.limits.header-read-timeout", value = "2s"),
        @ResourceArg(name = "quarkus.http.idle-timeout", value = "6s")})
class SlowHeadersTest {

    private static final long HEADER_TIMEOUT_MS = 2000;
    /** Scheduling, a sweep over 200 sockets and a loaded CI machine. */
    private static final long SLACK_MS = 2000;
    private static final String HEAD_START = "POST /testnet HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    private static final String HEAD_TIMEOUT_SERIES = "railyard_client_timeouts_total{phase=\"head\"}";

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void healthy() {
        Await.allHealthy(pools.pool(FakeNodesResource.NETWORK));
    }

    private static String call(int id) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"eth_blockNumber\",\"params\":[]}";
    }

    private static byte[] request(int id) {
        String body = call(id);
        return ("POST /testnet HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    /** A connection that has had one request answered and is kept alive. */
    private Socket keptAlive(int id) throws IOException {
        Socket s = new Socket("127.0.0.1", gateway.getPort());
        s.setSoTimeout(5000);
        s.getOutputStream().write(request(id));
        s.getOutputStream().flush();
        assertEquals(200, RawHttp.read(s.getInputStream()).status());
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** Reads until the peer closes; the status of the answer it sent first, or -1 when it sent none. */
    private static int statusBeforeClose(Socket s, int waitMs) throws IOException {
        s.setSoTimeout(waitMs);
        InputStream in = s.getInputStream();
        byte[] all = in.readAllBytes();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        return text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
    }

    @Test
    void aHeadThatStopsHalfWayIsCutOffAtTheDeadlineOnNewAndKeptAliveConnections() throws Exception {
        try (Socket fresh = new Socket("127.0.0.1", gateway.getPort()); Socket reused = keptAlive(1)) {
            long started = System.nanoTime();
            send(fresh, HEAD_START);
            send(reused, HEAD_START);
            assertEquals(408, statusBeforeClose(reused, (int) (HEADER_TIMEOUT_MS + SLACK_MS)), "a kept-alive connection");
            assertEquals(-1, statusBeforeClose(fresh, (int) (HEADER_TIMEOUT_MS + SLACK_MS)), "a new connection is closed");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(ms >= HEADER_TIMEOUT_MS - 300 && ms <= HEADER_TIMEOUT_MS + SLACK_MS, "cut off after " + ms + " ms");
        }
    }

    @Test
    void aConnectionThatNeverSendsAHeadIsClosedAtTheDeadline() throws Exception {
        try (Socket silent = new Socket("127.0.0.1", gateway.getPort())) {
            long started = System.nanoTime();
            assertEquals(-1, statusBeforeClose(silent, (int) (HEADER_TIMEOUT_MS + SLACK_MS)), "closed without an answer");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(ms >= HEADER_TIMEOUT_MS - 300, "closed after " + ms + " ms, before the deadline");
        }
    }

    @Test
    void aKeptAliveConnectionMayIdleBetweenRequestsLongerThanTheHeaderDeadline() throws Exception {
        try (Socket s = keptAlive(2)) {
            Thread.sleep(HEADER_TIMEOUT_MS + 1500);
            s.getOutputStream().write(request(3));
            s.getOutputStream().flush();
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            assertEquals(200, r.status(), "the second request on a connection idle for 3.5 s (idle timeout 6 s)");
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"0x64\"}", r.text());
        }
    }

    @Test
    void aConnectionOpenedByABrowserPreflightMayIdleBetweenRequestsToo() throws Exception {
        try (Socket s = new Socket("127.0.0.1", gateway.getPort())) {
            s.setSoTimeout(5000);
            send(s, "OPTIONS /testnet HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://dapp.example\r\n"
                    + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n");
            assertEquals(204, RawHttp.read(s.getInputStream()).status());
            Thread.sleep(HEADER_TIMEOUT_MS + 1500);
            s.getOutputStream().write(request(5));
            s.getOutputStream().flush();
            assertEquals(200, RawHttp.read(s.getInputStream()).status(), "the POST after 3.5 s idle (idle timeout 6 s)");
        }
    }

    @Test
    void aSlowButCompleteHeadWithinTheDeadlineIsServed() throws Exception {
        byte[] whole = request(4);
        try (Socket s = new Socket("127.0.0.1", gateway.getPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            int piece = whole.length / 5 + 1;
            for (int at = 0; at < whole.length; at += piece) {
                out.write(whole, at, Math.min(piece, whole.length - at));
                out.flush();
                Thread.sleep(300);
            }
            RawHttp.Response r = RawHttp.read(s.getInputStream());
            assertEquals(200, r.status());
            assertEquals("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":\"0x64\"}", r.text());
        }
    }

    @Test
    void twoHundredTrickledHeadsAreCutOffWhileAGoodClientIsServed() throws Exception {
        int connections = 200;
        double timeoutsBefore = Metrics.value(Metrics.scrape(), HEAD_TIMEOUT_SERIES);
        List<Socket> slow = new ArrayList<>();
        AtomicBoolean trickling = new AtomicBoolean(true);
        AtomicInteger served = new AtomicInteger();
        List<String> failures = new ArrayList<>();
        CompletableFuture<Void> good = CompletableFuture.runAsync(() -> {
            int id = 1000;
            while (trickling.get()) {
                try {
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway + "testnet"))
                            .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(call(id))).build(), HttpResponse.BodyHandlers.ofString());
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    if (r.statusCode() != 200 || !r.body().contains("\"result\":\"0x64\"") || ms > 1500) {
                        synchronized (failures) {
                            failures.add(r.statusCode() + " in " + ms + " ms: " + r.body());
                        }
                    }
                    served.incrementAndGet();
                    id++;
                    Thread.sleep(20);
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e.toString());
                    }
                }
            }
        });
        try {
            long started = System.nanoTime();
            for (int i = 0; i < connections; i++) {
                // Half on new connections, half on connections that had a request answered.
                Socket s = i % 2 == 0 ? new Socket("127.0.0.1", gateway.getPort()) : keptAlive(i);
                send(s, HEAD_START);
                slow.add(s);
            }
            long openedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            // One more header byte to each every 250 ms, a rate that never lets an idle timer fire.
            List<Socket> open = new ArrayList<>(slow);
            long limit = started + TimeUnit.MILLISECONDS.toNanos(openedMs + HEADER_TIMEOUT_MS + SLACK_MS);
            while (!open.isEmpty() && System.nanoTime() < limit) {
                open.removeIf(s -> {
                    try {
                        s.getOutputStream().write('a');
                        s.getOutputStream().flush();
                    } catch (IOException e) {
                        return true;
                    }
                    return RawHttp.closedByPeer(s, 1);
                });
                Thread.sleep(250);
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            System.out.printf("trickled heads: %d connections opened in %d ms, %d still open after %d ms; good client: %d served%n",
                    connections, openedMs, open.size(), ms, served.get());
            assertEquals(0, open.size(), open.size() + " of " + connections + " trickling connections still open "
                    + ms + " ms after the first was opened (deadline " + HEADER_TIMEOUT_MS + " ms)");
        } finally {
            trickling.set(false);
            good.get(30, TimeUnit.SECONDS);
            for (Socket s : slow) {
                s.close();
            }
        }
        assertEquals(List.of(), failures, "the good client's failures");
        assertTrue(served.get() > 10, "the good client was served " + served.get() + " times");
        // The kept-alive half were answered 408, and counted.
        Await.until("the cut-offs counted", () -> Metrics.value(Metrics.scrape(), HEAD_TIMEOUT_SERIES) >= timeoutsBefore + connections / 2);
    }
}
