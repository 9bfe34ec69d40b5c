package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An upstream that passes every health probe (chain 1, head 100, finalized and safe 90, not syncing) and answers real
 * traffic in one hostile way at a time ({@link #mode}): the worst kind of node, one the prober cannot catch. Unlike
 * {@code FakeUpstream} it can also break the HTTP framing: bodies shorter than their Content-Length, 1 GB bodies,
 * responses that start and never finish. As a Quarkus test resource it adds itself to network {@code testnet} as
 * upstream {@code node-hostile}, next to the fakes of {@code FakeNodesResource}; init arg {@code network} names
 * another network, which then has it as its only upstream (chain 1).
 */
public final class HostileUpstream implements QuarkusTestResourceLifecycleManager {

    public static final String NAME = "node-hostile";

    public enum Mode {
        /** Answers correctly (a result equal to the good nodes'). */
        HONEST,
        /** Bytes that are not JSON. */
        GARBAGE,
        /** An HTML page with status 200. */
        HTML,
        /** An HTML error page with status 404 (4xx bodies are read, since they may hold a JSON-RPC error). */
        HTML_404,
        /** The right id, and JSON cut off in the middle (Content-Length matches what is sent). */
        TRUNCATED_JSON,
        /** Content-Length promises more than is sent, then the connection is closed. */
        TRUNCATED_TRANSPORT,
        /** Content-Length of 1 GB, then a stream of bytes. */
        HUGE_DECLARED,
        /** A chunked body that would go on for 1 GB. */
        HUGE_CHUNKED,
        /** A well-formed answer with a result, under another id. */
        WRONG_ID,
        /** The answer meant for the previous request this node was sent (its id and an evil result). */
        OTHER_REQUESTS_ANSWER,
        /** The id as a string that is not the request's. */
        WRONG_STRING_ID,
        /** A result with id null. */
        NULL_ID,
        /** The right id, but neither result nor error. */
        NO_RESULT,
        /** The right id, and an error that is a string rather than an object. */
        ERROR_NOT_AN_OBJECT,
        /** A batch array holding the right answer, for a single request. */
        ARRAY_FOR_A_SINGLE_REQUEST,
        /** The right id, and a result nested 10,000 levels deep. */
        DEEP_NESTING,
        /** Two JSON values in a row: the right answer, then another. */
        TRAILING_JSON,
        /** Never answers at all. */
        HANG,
        /** Sends the status line, the headers and half of the body, then nothing more. */
        PARTIAL_THEN_HANG,
        /** Closes the connection without answering. */
        CLOSE
    }

    public static final String EVIL = "{\"hash\":\"0xevil\",\"number\":\"0x666\"}";

    private Vertx vertx;
    private HttpServer server;
    public volatile Mode mode = Mode.HONEST;
    /** The result honest answers carry, from the request's params (set by the test). */
    public volatile java.util.function.Function<JsonObject, String> honest = req -> "null";
    /** Time each traffic answer waits before it is sent (probes are answered at once). */
    public volatile long delayMs;
    /** Calls of real traffic (a batch counts once). */
    public final AtomicInteger trafficCalls = new AtomicInteger();
    /** Batches among them. */
    public final AtomicInteger batchCalls = new AtomicInteger();
    public final AtomicLong bytesStreamed = new AtomicLong();
    private final AtomicLong previousId = new AtomicLong(-1);

    private String network = "testnet";

    @Override
    public void init(Map<String, String> initArgs) {
        network = initArgs.getOrDefault("network", network);
    }

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(this::serve);
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("hostile upstream did not start", e);
        }
        return Map.of("railyard.networks." + network + ".upstreams." + NAME + ".url", "http://127.0.0.1:" + server.actualPort(),
                "railyard.networks." + network + ".chain-id", "1");
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(this, new TestInjector.MatchesType(HostileUpstream.class));
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close();
        }
    }

    private void serve(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            JsonObject call;
            try {
                Object parsed = body.toJson();
                if (parsed instanceof JsonArray batch) {
                    trafficCalls.incrementAndGet();
                    batchCalls.incrementAndGet();
                    long delay = delayMs;
                    if (delay > 0) {
                        vertx.setTimer(delay, t -> misbehaveBatch(request, batch));
                    } else {
                        misbehaveBatch(request, batch);
                    }
                    return;
                }
                call = (JsonObject) parsed;
            } catch (RuntimeException e) {
                request.response().setStatusCode(400).end();
                return;
            }
            String method = call.getString("method");
            JsonArray params = call.getValue("params") instanceof JsonArray a ? a : new JsonArray();
            String id = String.valueOf(call.getValue("id"));
            String probe = switch (method) {
                case "eth_chainId" -> "\"0x1\"";
                case "eth_blockNumber" -> "\"0x64\"";
                case "eth_syncing" -> "false";
                case "eth_getBlockByNumber" -> "finalized".equals(params.getValue(0)) || "safe".equals(params.getValue(0))
                        ? "{\"number\":\"0x5a\",\"hash\":\"0x" + "ab".repeat(32) + "\"}" : null;
                default -> null;
            };
            if (probe != null) {
                json(request.response(), 200, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + probe + "}");
                return;
            }
            trafficCalls.incrementAndGet();
            long previous = previousId.getAndSet(Long.parseLong(id));
            long other = previous < 0 ? Long.parseLong(id) - 1 : previous;
            long delay = delayMs;
            if (delay > 0) {
                vertx.setTimer(delay, t -> misbehave(request, call, id, other));
            } else {
                misbehave(request, call, id, other);
            }
        });
    }

    private void misbehave(HttpServerRequest request, JsonObject call, String id, long previous) {
        HttpServerResponse response = request.response();
        String honestAnswer = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + honest.apply(call) + "}";
        switch (mode) {
            case HONEST -> json(response, 200, honestAnswer);
            case GARBAGE -> json(response, 200, "\u0000\u0001\u00ff garbage {{{ ]]] not json");
            case HTML -> response.setStatusCode(200).putHeader("content-type", "text/html")
                    .end("<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>");
            case HTML_404 -> response.setStatusCode(404).putHeader("content-type", "text/html")
                    .end("<html><body>404 Not Found</body></html>");
            case TRUNCATED_JSON -> json(response, 200, honestAnswer.substring(0, honestAnswer.length() / 2));
            case TRUNCATED_TRANSPORT -> {
                response.setStatusCode(200).putHeader("content-type", "application/json")
                        .putHeader("content-length", Integer.toString(honestAnswer.length()));
                response.write(honestAnswer.substring(0, honestAnswer.length() / 2));
                vertx.setTimer(50, t -> request.connection().close());
            }
            case HUGE_DECLARED -> {
                response.setStatusCode(200).putHeader("content-type", "application/json")
                        .putHeader("content-length", Long.toString(1L << 30));
                stream(request, response, 1L << 30);
            }
            case HUGE_CHUNKED -> {
                response.setStatusCode(200).putHeader("content-type", "application/json").setChunked(true);
                stream(request, response, 1L << 30);
            }
            case WRONG_ID -> json(response, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + (Long.parseLong(id) + 1000) + ",\"result\":" + EVIL + "}");
            case OTHER_REQUESTS_ANSWER -> json(response, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + previous + ",\"result\":" + EVIL + "}");
            case WRONG_STRING_ID -> json(response, 200, "{\"jsonrpc\":\"2.0\",\"id\":\"x" + id + "\",\"result\":" + EVIL + "}");
            case NULL_ID -> json(response, 200, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":" + EVIL + "}");
            case NO_RESULT -> json(response, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + id + "}");
            case ERROR_NOT_AN_OBJECT -> json(response, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":\"boom\"}");
            case ARRAY_FOR_A_SINGLE_REQUEST -> json(response, 200, "[" + honestAnswer + "]");
            case DEEP_NESTING -> json(response, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":"
                    + "[".repeat(10_000) + "]".repeat(10_000) + "}");
            case TRAILING_JSON -> json(response, 200, honestAnswer + "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + EVIL + "}");
            case HANG -> {
                // Never answers; the gateway's try timeout resets the call.
            }
            case PARTIAL_THEN_HANG -> {
                response.setStatusCode(200).putHeader("content-type", "application/json")
                        .putHeader("content-length", Integer.toString(honestAnswer.length()));
                response.write(honestAnswer.substring(0, honestAnswer.length() / 2));
            }
            case CLOSE -> request.connection().close();
        }
    }

    /**
     * The same misbehaviour for a JSON-RPC batch: body-level modes as for one call; id and shape modes applied to
     * every entry. {@link Mode#OTHER_REQUESTS_ANSWER} labels every entry with the first request's id (the first
     * entry honest, the others an evil result): a reply with duplicate ids, in which other requests' answers come
     * under one request's id. {@link Mode#ARRAY_FOR_A_SINGLE_REQUEST} answers the batch with one object.
     */
    private void misbehaveBatch(HttpServerRequest request, JsonArray batch) {
        HttpServerResponse response = request.response();
        List<String> ids = new ArrayList<>();
        List<String> honestAnswers = new ArrayList<>();
        for (Object o : batch) {
            JsonObject call = (JsonObject) o;
            String id = String.valueOf(call.getValue("id"));
            ids.add(id);
            honestAnswers.add("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + honest.apply(call) + "}");
        }
        String honestBatch = "[" + String.join(",", honestAnswers) + "]";
        java.util.function.Function<java.util.function.IntFunction<String>, String> each = entry -> {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < ids.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(entry.apply(i));
            }
            return sb.append(']').toString();
        };
        switch (mode) {
            case HONEST -> json(response, 200, honestBatch);
            case TRUNCATED_JSON -> json(response, 200, honestBatch.substring(0, honestBatch.length() / 2));
            case WRONG_ID -> json(response, 200, each.apply(i -> "{\"jsonrpc\":\"2.0\",\"id\":" + (Long.parseLong(ids.get(i)) + 1000)
                    + ",\"result\":" + EVIL + "}"));
            case OTHER_REQUESTS_ANSWER -> json(response, 200, each.apply(i -> i == 0 ? honestAnswers.get(0)
                    : "{\"jsonrpc\":\"2.0\",\"id\":" + ids.get(0) + ",\"result\":" + EVIL + "}"));
            case WRONG_STRING_ID -> json(response, 200, each.apply(i -> "{\"jsonrpc\":\"2.0\",\"id\":\"x" + ids.get(i)
                    + "\",\"result\":" + EVIL + "}"));
            case NULL_ID -> json(response, 200, each.apply(i -> "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":" + EVIL + "}"));
            case NO_RESULT -> json(response, 200, each.apply(i -> "{\"jsonrpc\":\"2.0\",\"id\":" + ids.get(i) + "}"));
            case ERROR_NOT_AN_OBJECT -> json(response, 200, each.apply(i -> "{\"jsonrpc\":\"2.0\",\"id\":" + ids.get(i)
                    + ",\"error\":\"boom\"}"));
            case ARRAY_FOR_A_SINGLE_REQUEST -> json(response, 200, honestAnswers.get(0));
            case DEEP_NESTING -> json(response, 200, each.apply(i -> "{\"jsonrpc\":\"2.0\",\"id\":" + ids.get(i) + ",\"result\":"
                    + "[".repeat(10_000) + "]".repeat(10_000) + "}"));
            case TRAILING_JSON -> json(response, 200, honestBatch + honestBatch);
            default -> misbehave(request, batch.getJsonObject(0), ids.get(0), Long.parseLong(ids.get(0)) - 1);
        }
    }

    /** Writes up to {@code total} bytes as fast as the gateway takes them; stops when it hangs up. */
    private void stream(HttpServerRequest request, HttpServerResponse response, long total) {
        Buffer chunk = Buffer.buffer("[" + "0,".repeat(32767));
        long[] left = {total};
        boolean[] gone = {false};
        response.closeHandler(v -> gone[0] = true);
        response.exceptionHandler(e -> gone[0] = true);
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
            while (!gone[0] && left[0] > 0 && !response.writeQueueFull()) {
                int n = (int) Math.min(chunk.length(), left[0]);
                response.write(n == chunk.length() ? chunk : chunk.slice(0, n));
                left[0] -= n;
                bytesStreamed.addAndGet(n);
            }
            if (!gone[0] && left[0] > 0) {
                response.drainHandler(v -> pump[0].run());
            } else if (!gone[0]) {
                response.end();
            }
        };
        pump[0].run();
    }

    private static void json(HttpServerResponse response, int status, String body) {
        response.setStatusCode(status).putHeader("content-type", "application/json").end(body);
    }

    /** Starts one outside Quarkus (for tests that run the packaged application); returns its URL. */
    public String startStandalone() {
        // By key: Map.of iterates in an order that changes from one JVM to the next, so "the first value" was the
        // chain id in about half the runs, and the packaged gateway refused '1' as its node's URL.
        return start().get("railyard.networks." + network + ".upstreams." + NAME + ".url");
    }
}
