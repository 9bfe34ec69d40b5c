package io.railyard.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket JSON-RPC client for tests: sends text, keeps every message received in order, splits answers (by id)
 * from {@code eth_subscription} notifications, and records how the server closed the socket.
 */
public final class WsClient implements AutoCloseable {

    private static final Vertx VERTX = Vertx.vertx();

    private final HttpClient http;
    private final WebSocket ws;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final BlockingQueue<JsonObject> notifications = new LinkedBlockingQueue<>();
    private final CompletableFuture<Short> closeCode = new CompletableFuture<>();
    private final AtomicInteger ids = new AtomicInteger(100);
    private volatile String closeReason;

    private WsClient(HttpClient http, WebSocket ws) {
        this.http = http;
        this.ws = ws;
        ws.textMessageHandler(text -> {
            if (text.contains("\"method\":\"eth_subscription\"")) {
                notifications.add(new JsonObject(text));
            } else {
                answers.add(text);
            }
        });
        ws.closeHandler(v -> {
            closeReason = ws.closeReason();
            closeCode.complete(ws.closeStatusCode() == null ? (short) 1006 : ws.closeStatusCode());
        });
    }

    public static WsClient connect(int port, String path) {
        return connect(port, path, Map.of());
    }

    /** Opens a socket on {@code path}; fails with the upgrade's HTTP status when the gateway refuses it. */
    public static WsClient connect(int port, String path, Map<String, String> headers) {
        HttpClient http = VERTX.createHttpClient();
        // No Origin of its own (Vert.x sends one by default): a test names the page it stands for, if any.
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(path)
                .setAllowOriginHeader(headers.keySet().stream().anyMatch("Origin"::equalsIgnoreCase));
        headers.forEach(options::addHeader);
        try {
            WebSocket ws = http.webSocket(options).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return new WsClient(http, ws);
        } catch (Exception e) {
            http.close();
            throw new IllegalStateException("upgrade refused: " + (e.getCause() != null ? e.getCause().getMessage() : e), e);
        }
    }

    public WebSocket socket() {
        return ws;
    }

    public void send(String text) {
        ws.writeTextMessage(text);
    }

    /** Sends one request and waits for the next answer (requests of a test are sent one at a time). */
    public JsonObject call(String method, String params) {
        send("{\"jsonrpc\":\"2.0\",\"id\":" + ids.incrementAndGet() + ",\"method\":\"" + method + "\",\"params\":" + params + "}");
        return new JsonObject(nextAnswer());
    }

    /** Subscribes and returns the subscription id. */
    public String subscribe(String params) {
        JsonObject answer = call("eth_subscribe", params);
        if (answer.getString("result") == null) {
            throw new AssertionError("eth_subscribe " + params + " failed: " + answer);
        }
        return answer.getString("result");
    }

    public String nextAnswer() {
        try {
            String answer = answers.poll(10, TimeUnit.SECONDS);
            if (answer == null) {
                throw new AssertionError("no answer within 10 s");
            }
            return answer;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** The next {@code count} notifications, within 10 s. */
    public List<JsonObject> notifications(int count) {
        List<JsonObject> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (out.size() < count) {
            long left = deadline - System.nanoTime();
            JsonObject next;
            try {
                next = left <= 0 ? null : notifications.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
            if (next == null) {
                throw new AssertionError("got " + out.size() + " of " + count + " notifications within 10 s: " + out);
            }
            out.add(next);
        }
        return out;
    }

    /** Every notification received so far and not yet taken. */
    public List<JsonObject> drainNotifications() {
        List<JsonObject> out = new ArrayList<>();
        notifications.drainTo(out);
        return out;
    }

    /** The close code the server sent, waiting up to 10 s for the close. */
    public short closeCode() {
        try {
            return closeCode.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("socket not closed within 10 s");
        }
    }

    public String closeReason() {
        return closeReason;
    }

    public boolean isClosed() {
        return closeCode.isDone();
    }

    @Override
    public void close() {
        if (!ws.isClosed()) {
            ws.close();
        }
        http.close();
    }
}
