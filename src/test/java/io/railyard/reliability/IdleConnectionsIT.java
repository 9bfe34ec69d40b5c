package io.railyard.reliability;

import io.railyard.testing.Await;
import io.railyard.testing.Metrics;
import io.railyard.testing.PackagedGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 8's promise, held by the packaged gateway in its own process ({@code -Xmx256m}): 10,000 idle keep-alive
 * connections, each with one request answered, do not stop another client being served; the gateway stays alive and
 * ready and its heap stays bounded; once they are closed it serves as before. {@link SlowClientTest} holds 2,000 in
 * the gateway's own JVM and covers the idle timeout closing them; here the idle timeout is set well past the test's
 * length, so that the gateway closes none of them while it runs.
 *
 * <p>Needs an open-files limit ({@code ulimit -n}) of at least 11,000: this JVM and the gateway each hold a descriptor
 * per connection. A lower limit fails the test with a message naming it.
 */
class IdleConnectionsIT {

    private static final int CONNECTIONS = 10_000;
    /** Connections being opened and asked at once: well inside the listen backlog, so that no SYN waits for a retry. */
    private static final int WINDOW = 200;
    private static final long OPEN_AND_ASK_SECONDS = 60;
    /** Longer than the whole test, so that the gateway closes none of the idle connections while it runs. */
    private static final String IDLE_TIMEOUT = "120s";
    private static final int SECOND_CLIENT_REQUESTS = 200;
    private static final long SECOND_CLIENT_MAX_MS = 2000;
    /** One request every 50 ms: the second client's 200 take about 10 s, all that time with the 10,000 idle. */
    private static final long SECOND_CLIENT_PACE_MS = 50;
    private static final long MAX_HEAP_BYTES = 256L << 20;
    /** Descriptors (and ephemeral ports) a process needs besides the connections: jars, epoll, pipes, other clients. */
    private static final int HEADROOM = 1000;

    @AutoClose("stop")
    private HostileUpstream node;
    @AutoClose
    private PackagedGateway gateway;
    @AutoClose
    private IdleConnections idle;

    @Test
    void tenThousandIdleKeepAliveConnectionsDoNotStopAnotherClientAndTheHeapStaysBounded() throws Exception {
        requireOpenFiles("this test JVM", ProcessHandle.current().pid());
        requireEphemeralPorts();
        node = new HostileUpstream();
        node.mode = HostileUpstream.Mode.HONEST;
        gateway = PackagedGateway.start("idle-connections-it", node.startStandalone(), "-Dquarkus.http.idle-timeout=" + IDLE_TIMEOUT);
        requireOpenFiles("the gateway", gateway.pid());
        assertEquals(answer(0, "\"0x1\""), rpc(0, "eth_chainId").body());
        Gauge before = gauge();

        // 10,000 keep-alive connections, one request answered on each, then left idle.
        idle = new IdleConnections();
        long started = System.nanoTime();
        idle.openAndAsk(new InetSocketAddress("127.0.0.1", gateway.port()), started + TimeUnit.SECONDS.toNanos(OPEN_AND_ASK_SECONDS));
        long openedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        // With the 10,000 sitting idle: the gateway is alive and ready, and another client is served.
        assertTrue(gateway.process().isAlive(), "the gateway died holding the idle connections; log:\n" + gateway.logTail());
        HttpResponse<String> ready = getManagement("/q/health/ready");
        assertEquals(200, ready.statusCode(), "readiness with " + CONNECTIONS + " idle connections: " + ready.body());
        assertEquals("UP", new JsonObject(ready.body()).getString("status"), ready.body());
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < SECOND_CLIENT_REQUESTS; i++) {
            int id = CONNECTIONS + 1 + i;
            long sent = System.nanoTime();
            HttpResponse<String> r = rpc(id, "eth_blockNumber");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertEquals(200, r.statusCode(), "second client, request " + i + ": " + r.body());
            assertEquals(answer(id, "\"0x64\""), r.body(), "second client, request " + i);
            assertTrue(ms < SECOND_CLIENT_MAX_MS, "second client, request " + i + " took " + ms + " ms with "
                    + CONNECTIONS + " idle connections open");
            latencies.add(ms);
            Thread.sleep(Math.max(0, SECOND_CLIENT_PACE_MS - ms));
        }
        long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) - openedMs;
        Gauge with = gauge();
        assertHeapBounded("with " + CONNECTIONS + " idle connections", with);
        assertEquals(0, idle.disturbed(), "idle connections the gateway closed (or wrote to) within its idle timeout of "
                + IDLE_TIMEOUT);
        assertTrue(with.openFiles() >= CONNECTIONS, "the gateway holds " + with.openFiles() + " descriptors: it does not hold"
                + " the " + CONNECTIONS + " connections");

        // Closed by their clients, the gateway lets them go and serves as before.
        idle.close();
        Await.until("the gateway closed its side of the idle connections", () -> openFiles(gateway.pid()) < before.openFiles() + WINDOW);
        HttpResponse<String> last = rpc(CONNECTIONS + SECOND_CLIENT_REQUESTS + 1, "eth_chainId");
        assertEquals(answer(CONNECTIONS + SECOND_CLIENT_REQUESTS + 1, "\"0x1\""), last.body(), "after the idle connections closed");
        Gauge after = gauge();
        assertHeapBounded("after the idle connections closed", after);

        Collections.sort(latencies);
        System.out.printf(Locale.ROOT, "idle connections: %d opened, asked and answered in %d ms, then idle for %d ms while a second"
                        + " client sent %d requests: p50 %d ms, max %d ms; gateway heap used (scraped) before %.1f MB, with %.1f MB, after %.1f MB;"
                        + " live heap after a full GC before %.1f MB, with %.1f MB (%d bytes a connection), after %.1f MB;"
                        + " RSS before %.1f MB, with %.1f MB (%d bytes a connection), after %.1f MB; descriptors with %d%n",
                CONNECTIONS, openedMs, idleMs, latencies.size(), latencies.get(latencies.size() / 2), latencies.get(latencies.size() - 1),
                mb(before.heapUsed()), mb(with.heapUsed()), mb(after.heapUsed()),
                mb(before.liveHeap()), mb(with.liveHeap()), (with.liveHeap() - before.liveHeap()) / CONNECTIONS, mb(after.liveHeap()),
                mb(before.rss()), mb(with.rss()), (with.rss() - before.rss()) / CONNECTIONS, mb(after.rss()), with.openFiles());
    }

    private static void assertHeapBounded(String when, Gauge g) {
        assertTrue(g.heapUsed() < MAX_HEAP_BYTES && g.liveHeap() < MAX_HEAP_BYTES, "the gateway's heap " + when + " is not"
                + " within -Xmx256m: " + g);
    }

    /** The gateway's heap as scraped, its live heap after a full GC, its resident set and its open descriptors. */
    private record Gauge(long heapUsed, long liveHeap, long rss, long openFiles) {
    }

    private Gauge gauge() throws Exception {
        assertTrue(gateway.process().isAlive(), "the gateway died; log:\n" + gateway.logTail());
        long used = heapUsed();
        gateway.collectGarbage();
        return new Gauge(used, heapUsed(), gateway.rssBytes(), openFiles(gateway.pid()));
    }

    /** The sum of {@code jvm_memory_used_bytes} over the heap's pools, from {@code /q/metrics}. */
    private long heapUsed() throws Exception {
        HttpResponse<String> r = getManagement("/q/metrics");
        assertEquals(200, r.statusCode(), r.body());
        long used = (long) Metrics.sum(r.body(), "jvm_memory_used_bytes{area=\"heap\",");
        assertTrue(used > 0, "/q/metrics shows no jvm_memory_used_bytes{area=\"heap\",...}");
        return used;
    }

    private static long openFiles(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc/" + pid + "/fd", e);
        }
    }

    /** Fails, naming the limit, when the process cannot hold a descriptor for each connection. */
    private static void requireOpenFiles(String who, long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                if (!soft.equals("unlimited") && Long.parseLong(soft) < CONNECTIONS + HEADROOM) {
                    fail(who + " may open " + soft + " files (ulimit -n); this test holds " + CONNECTIONS + " connections,"
                            + " a descriptor each in this JVM and in the gateway, and needs a limit of at least "
                            + (CONNECTIONS + HEADROOM) + " (raise it with ulimit -n before running)");
                }
                return;
            }
        }
        fail("no 'Max open files' in /proc/" + pid + "/limits");
    }

    private static void requireEphemeralPorts() throws IOException {
        // readAllLines: on JDK 17 Files.readString returns only the first byte of this procfs file
        String[] range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+");
        int ports = Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1;
        if (ports < CONNECTIONS + HEADROOM) {
            fail("net.ipv4.ip_local_port_range " + range[0] + "-" + range[1] + " gives " + ports + " ephemeral ports; this test"
                    + " opens " + CONNECTIONS + " connections from one address and needs " + (CONNECTIONS + HEADROOM));
        }
    }

    private static double mb(long bytes) {
        return bytes / 1048576.0;
    }

    private static String call(int id, String method) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":[]}";
    }

    private static String answer(int id, String result) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}";
    }

    private HttpResponse<String> rpc(int id, String method) throws Exception {
        return gateway.http().send(HttpRequest.newBuilder(gateway.uri("/testnet")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(call(id, method))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> getManagement(String path) throws Exception {
        return gateway.http().send(HttpRequest.newBuilder(gateway.managementUri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The idle clients: {@link #CONNECTIONS} keep-alive connections driven by one selector on the test's thread,
     * opened {@link #WINDOW} at a time; each sends one request, reads its whole answer and then says nothing more.
     */
    private static final class IdleConnections implements AutoCloseable {

        private final Selector selector;
        private final List<SocketChannel> channels = new ArrayList<>(CONNECTIONS);

        IdleConnections() throws IOException {
            selector = Selector.open();
        }

        void openAndAsk(InetSocketAddress gateway, long deadline) throws IOException {
            int answered = 0;
            int asking = 0;
            while (answered < CONNECTIONS) {
                while (asking < WINDOW && channels.size() < CONNECTIONS) {
                    int id = channels.size();
                    SocketChannel channel;
                    try {
                        channel = SocketChannel.open();
                    } catch (IOException e) {
                        throw new AssertionError("could not open socket " + id + " (" + answered + " answered): " + e, e);
                    }
                    channels.add(channel);
                    channel.configureBlocking(false);
                    boolean connected = channel.connect(gateway);
                    channel.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, new Exchange(id, gateway.getPort()));
                    asking++;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("only " + answered + " of " + CONNECTIONS + " connections were opened and answered within "
                            + OPEN_AND_ASK_SECONDS + " s (" + channels.size() + " opened)");
                }
                selector.select(Math.max(1, Math.min(500, TimeUnit.NANOSECONDS.toMillis(left))));
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    Exchange exchange = (Exchange) key.attachment();
                    SocketChannel channel = (SocketChannel) key.channel();
                    try {
                        if (key.isConnectable()) {
                            if (channel.finishConnect()) {
                                key.interestOps(SelectionKey.OP_WRITE);
                            }
                        } else if (key.isWritable()) {
                            channel.write(exchange.request);
                            if (!exchange.request.hasRemaining()) {
                                key.interestOps(SelectionKey.OP_READ);
                            }
                        } else if (key.isReadable() && exchange.read(channel)) {
                            key.interestOps(0);
                            key.attach(null);
                            answered++;
                            asking--;
                        }
                    } catch (IOException e) {
                        throw new AssertionError("connection " + exchange.id + " failed (" + channels.size() + " opened, "
                                + answered + " answered): " + e, e);
                    }
                }
            }
        }

        /** How many of the idle connections the gateway has closed, or sent anything on, since they were answered. */
        int disturbed() throws IOException {
            for (SelectionKey key : selector.keys()) {
                key.interestOps(SelectionKey.OP_READ);
            }
            int disturbed = 0;
            ByteBuffer scratch = ByteBuffer.allocate(1024);
            // One select reports at most one epoll batch (1,024 here): select again until none is left unread.
            while (selector.selectNow() > 0) {
                for (SelectionKey key : selector.selectedKeys()) {
                    scratch.clear();
                    try {
                        if (((SocketChannel) key.channel()).read(scratch) != 0) {
                            disturbed++;
                        }
                    } catch (IOException e) {
                        disturbed++;
                    }
                    key.interestOps(0);
                }
                selector.selectedKeys().clear();
            }
            for (SelectionKey key : selector.keys()) {
                key.interestOps(0);
            }
            return disturbed;
        }

        @Override
        public void close() {
            try {
                selector.close(); // deregisters every channel, so that closing them closes their sockets at once
            } catch (IOException e) {
                // closing anyway
            }
            for (SocketChannel channel : channels) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // already gone
                }
            }
            channels.clear();
        }
    }

    /** One connection's request and the answer read so far; the answer must be a complete 200 with the request's id. */
    private static final class Exchange {

        final int id;
        final ByteBuffer request;
        private ByteBuffer received = ByteBuffer.allocate(512);

        Exchange(int id, int port) {
            this.id = id;
            String body = call(id, "eth_chainId");
            this.request = ByteBuffer.wrap(("POST /testnet HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
        }

        /** Reads what has come; true once the whole answer is in (and checked). */
        boolean read(SocketChannel channel) throws IOException {
            if (!received.hasRemaining()) {
                received = ByteBuffer.allocate(received.capacity() * 2).put(received.flip());
            }
            if (channel.read(received) < 0) {
                throw new AssertionError("connection " + id + ": the gateway closed it before its answer was complete: "
                        + new String(received.array(), 0, received.position(), StandardCharsets.ISO_8859_1));
            }
            String text = new String(received.array(), 0, received.position(), StandardCharsets.ISO_8859_1);
            int headEnd = text.indexOf("\r\n\r\n");
            if (headEnd < 0) {
                return false;
            }
            String[] head = text.substring(0, headEnd).split("\r\n");
            int contentLength = -1;
            for (int i = 1; i < head.length; i++) {
                String header = head[i].toLowerCase(Locale.ROOT);
                if (header.startsWith("content-length:")) {
                    contentLength = Integer.parseInt(header.substring("content-length:".length()).trim());
                } else if (header.startsWith("connection:") && header.contains("close")) {
                    throw new AssertionError("connection " + id + ": the gateway will not keep it alive: " + text);
                }
            }
            if (contentLength < 0) {
                throw new AssertionError("connection " + id + ": an answer without Content-Length: " + text);
            }
            int length = headEnd + 4 + contentLength;
            if (text.length() < length) {
                return false;
            }
            if (!head[0].startsWith("HTTP/1.1 200 ") || text.length() > length
                    || !text.substring(headEnd + 4).equals(answer(id, "\"0x1\""))) {
                throw new AssertionError("connection " + id + ": not the answer to eth_chainId with id " + id + ": " + text);
            }
            received = null;
            return true;
        }
    }
}
