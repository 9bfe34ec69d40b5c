package io.railyard.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A scriptable Ethereum node for tests: a Vert.x HTTP server on a free loopback port that answers JSON-RPC per
 * method, counts calls, and can be made slow, failing, hung or dead. Health probes are answered from a small fake
 * chain (chain id, head, finalized block) unless a test scripts them too.
 */
public final class FakeUpstream implements AutoCloseable {

    /** What to do with one call: answer with a result/error object, or misbehave. */
    public sealed interface Reply permits Result, Error, Status, Raw, Hang, Close {
    }

    /** @param json the raw JSON of the result */
    public record Result(String json) implements Reply {
    }

    public record Error(int code, String message) implements Reply {
    }

    /** An HTTP status with a body. */
    public record Status(int status, String body) implements Reply {
    }

    /** A raw body sent as it is (garbage, wrong ids...). */
    public record Raw(String body) implements Reply {
    }

    /** Never answers. */
    public record Hang() implements Reply {
    }

    /** Closes the connection without answering. */
    public record Close() implements Reply {
    }

    private final Vertx vertx;
    private volatile HttpServer server;
    private volatile int port;
    private final Map<String, Function<JsonObject, Reply>> handlers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private volatile Function<JsonObject, Reply> everything;
    private volatile long latencyMs;
    private volatile long chainId = 1;
    private volatile long head = 100;
    private volatile long finalized = 90;
    /** The safe block the probe is told; -1: the finalized block. */
    private volatile long safe = -1;
    private volatile boolean syncing;
    private volatile boolean rejectBatches;
    /** Sockets subscribed to newHeads (the gateway's head feed); answers over WebSocket are only for that. */
    private final Set<ServerWebSocket> headSubscribers = ConcurrentHashMap.newKeySet();
    private final AtomicInteger wsSubscribes = new AtomicInteger();
    private volatile boolean webSocket = true;

    private FakeUpstream(Vertx vertx) {
        this.vertx = vertx;
        this.server = newServer();
    }

    private HttpServer newServer() {
        return vertx.createHttpServer().requestHandler(this::serve).webSocketHandler(this::serveSocket);
    }

    // ---------------------------------------------------------------- WebSocket: newHeads only

    private void serveSocket(ServerWebSocket ws) {
        if (!webSocket) {
            ws.reject(404);
            return;
        }
        ws.textMessageHandler(text -> {
            JsonObject call = new JsonObject(text);
            Object id = call.getValue("id");
            JsonArray params = call.getJsonArray("params", new JsonArray());
            if ("eth_subscribe".equals(call.getString("method")) && "newHeads".equals(params.getValue(0))) {
                wsSubscribes.incrementAndGet();
                headSubscribers.add(ws);
                ws.writeTextMessage(new JsonObject().put("jsonrpc", "2.0").put("id", id).put("result", "0xfeed").encode());
            } else {
                ws.writeTextMessage(new JsonObject().put("jsonrpc", "2.0").put("id", id)
                        .put("error", new JsonObject().put("code", -32601).put("message", "not over this socket")).encode());
            }
        });
        ws.closeHandler(v -> headSubscribers.remove(ws));
    }

    /** Whether the node accepts WebSocket upgrades (true by default); a node that does not is HTTP-only. */
    public FakeUpstream webSocket(boolean accept) {
        this.webSocket = accept;
        if (!accept) {
            headSubscribers.forEach(ServerWebSocket::close);
        }
        return this;
    }

    /** Announces a new head to every newHeads subscriber, as a node does when it imports a block. */
    public void announceHead(String blockJson) {
        String message = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":\"0xfeed\",\"result\":"
                + blockJson + "}}";
        headSubscribers.forEach(ws -> ws.writeTextMessage(message));
    }

    /** eth_subscribe("newHeads") calls received over WebSocket, ever. */
    public int headSubscriptions() {
        return wsSubscribes.get();
    }

    /** WebSocket connections subscribed to newHeads now. */
    public int openHeadSubscriptions() {
        return headSubscribers.size();
    }

    public static FakeUpstream start() {
        FakeUpstream fake = new FakeUpstream(Vertx.vertx());
        try {
            fake.server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            fake.port = fake.server.actualPort();
        } catch (Exception e) {
            throw new IllegalStateException("fake upstream did not start", e);
        }
        return fake;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    // ---------------------------------------------------------------- scripting

    public FakeUpstream on(String method, Function<JsonObject, Reply> handler) {
        handlers.put(method, handler);
        return this;
    }

    public FakeUpstream result(String method, String json) {
        return on(method, req -> new Result(json));
    }

    /** Every call (probes included) gets this reply; null restores normal service. */
    public FakeUpstream everything(Function<JsonObject, Reply> handler) {
        this.everything = handler;
        return this;
    }

    public FakeUpstream latency(long ms) {
        this.latencyMs = ms;
        return this;
    }

    public FakeUpstream chain(long chainId, long head, long finalized) {
        this.chainId = chainId;
        this.head = head;
        this.finalized = finalized;
        this.safe = -1;
        return this;
    }

    public long head() {
        return head;
    }

    public FakeUpstream head(long head) {
        this.head = head;
        return this;
    }

    public FakeUpstream finalized(long finalized) {
        this.finalized = finalized;
        return this;
    }

    /** The block {@code eth_getBlockByNumber("safe")} names from now on (by default the finalized one). */
    public FakeUpstream safe(long safe) {
        this.safe = safe;
        return this;
    }

    /** Answer every batch with one error object, as providers without batch support do. */
    public FakeUpstream rejectBatches(boolean reject) {
        this.rejectBatches = reject;
        return this;
    }

    public FakeUpstream syncing(boolean syncing) {
        this.syncing = syncing;
        return this;
    }

    public void reset() {
        handlers.clear();
        calls.clear();
        everything = null;
        latencyMs = 0;
        syncing = false;
        rejectBatches = false;
    }

    /** How many JSON-RPC batches (one HTTP request each) arrived; their entries count under their methods too. */
    public int batches() {
        return calls("batch");
    }

    public int calls(String method) {
        AtomicInteger n = calls.get(method);
        return n == null ? 0 : n.get();
    }

    /** Calls of methods other than the health probes'. */
    public int trafficCalls() {
        int total = 0;
        for (Map.Entry<String, AtomicInteger> e : calls.entrySet()) {
            if (!isProbe(e.getKey())) {
                total += e.getValue().get();
            }
        }
        return total;
    }

    public void resetCounts() {
        calls.clear();
    }

    private static boolean isProbe(String method) {
        return method.equals("batch") || method.equals("eth_chainId") || method.equals("eth_blockNumber") || method.equals("eth_syncing")
                || method.equals(FINALIZED_PROBE) || method.equals(SAFE_PROBE);
    }

    // ---------------------------------------------------------------- serving

    private void serve(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            Object parsed;
            try {
                parsed = Json.decodeValue(body);
            } catch (RuntimeException e) {
                request.response().setStatusCode(400).end();
                return;
            }
            if (parsed instanceof JsonArray batch) {
                calls.computeIfAbsent("batch", k -> new AtomicInteger()).incrementAndGet();
                if (rejectBatches) {
                    respond(request, 200, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"batch requests are not supported\"}}");
                    return;
                }
                JsonArray out = new JsonArray();
                Reply misbehaviour = null;
                for (Object o : batch) {
                    Reply r = replyFor((JsonObject) o);
                    if (r instanceof Result || r instanceof Error) {
                        out.add(new JsonObject(envelope((JsonObject) o, r)));
                    } else if (misbehaviour == null) {
                        misbehaviour = r;
                    }
                }
                // A node that hangs, fails or answers garbage for one entry does so for the whole batch.
                Reply whole = misbehaviour;
                Runnable send = () -> {
                    if (whole != null) {
                        send(request, null, whole);
                    } else {
                        respond(request, 200, out.encode());
                    }
                };
                if (latencyMs > 0) {
                    vertx.setTimer(latencyMs, t -> send.run());
                } else {
                    send.run();
                }
                return;
            }
            JsonObject call = (JsonObject) parsed;
            Reply reply = replyFor(call);
            Runnable send = () -> send(request, call, reply);
            if (latencyMs > 0) {
                vertx.setTimer(latencyMs, t -> send.run());
            } else {
                send.run();
            }
        });
    }

    private Reply replyFor(JsonObject call) {
        String method = call.getString("method");
        JsonArray params = call.getValue("params") instanceof JsonArray a ? a : new JsonArray();
        Object tag = "eth_getBlockByNumber".equals(method) && params.size() > 0 ? params.getValue(0) : null;
        String probeKey = "finalized".equals(tag) ? FINALIZED_PROBE : "safe".equals(tag) ? SAFE_PROBE : null;
        calls.computeIfAbsent(probeKey != null ? probeKey : method, k -> new AtomicInteger()).incrementAndGet();
        Function<JsonObject, Reply> all = everything;
        if (all != null) {
            return all.apply(call);
        }
        if (probeKey != null) {
            Function<JsonObject, Reply> probe = handlers.get(probeKey);
            long number = probeKey.equals(SAFE_PROBE) && safe >= 0 ? safe : finalized;
            return probe != null ? probe.apply(call)
                    : new Result("{\"number\":" + quoted(number) + ",\"hash\":\"0x" + "ab".repeat(32) + "\"}");
        }
        Function<JsonObject, Reply> handler = handlers.get(method);
        if (handler != null) {
            return handler.apply(call);
        }
        return switch (method) {
            case "eth_chainId" -> new Result(quoted(chainId));
            case "eth_blockNumber" -> new Result(quoted(head));
            case "eth_syncing" -> new Result(syncing ? "{\"currentBlock\":\"0x1\",\"highestBlock\":\"0x2\"}" : "false");
            case "net_version" -> new Result("\"" + chainId + "\"");
            default -> new Error(-32601, "the method " + method + " does not exist/is not available");
        };
    }

    private void send(HttpServerRequest request, JsonObject call, Reply reply) {
        if (reply instanceof Hang) {
            return;
        }
        if (reply instanceof Close) {
            request.connection().close();
        } else if (reply instanceof Status s) {
            respond(request, s.status(), s.body());
        } else if (reply instanceof Raw r) {
            respond(request, 200, r.body());
        } else {
            respond(request, 200, envelope(call, reply));
        }
    }

    private static String envelope(JsonObject call, Reply reply) {
        String id = Json.encode(call.getValue("id"));
        if (reply instanceof Result r) {
            return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + r.json() + "}";
        }
        if (reply instanceof Error e) {
            return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":" + e.code() + ",\"message\":" + Json.encode(e.message()) + "}}";
        }
        throw new IllegalArgumentException("cannot put " + reply + " in a batch");
    }

    private static void respond(HttpServerRequest request, int status, String body) {
        request.response().setStatusCode(status).putHeader("content-type", "application/json").end(Buffer.buffer(body));
    }

    public static String quoted(long n) {
        return "\"0x" + Long.toHexString(n) + "\"";
    }

    /** Handlers may name this pseudo-method to script the {@code eth_getBlockByNumber("finalized")} probe. */
    public static final String FINALIZED_PROBE = "probe:finalized";

    /** Handlers may name this pseudo-method to script the {@code eth_getBlockByNumber("safe")} probe. */
    public static final String SAFE_PROBE = "probe:safe";

    /** Stops answering: the port refuses connections from now on (open sockets are closed). */
    public void stop() {
        headSubscribers.forEach(ServerWebSocket::close);
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Listens again on the same port. */
    public void restart() {
        try {
            HttpServer again = newServer();
            again.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            server = again;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        vertx.close();
    }
}
