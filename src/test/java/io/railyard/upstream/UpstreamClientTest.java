package io.railyard.upstream;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How calls use connections: each event loop calls over connections of its own (so a call never hops threads),
 * and all of them together stay within {@code forward.connections-per-upstream}. The node is a plain Vert.x server
 * that notes the client port of every call.
 */
class UpstreamClientTest {

    private Vertx vertx;
    private HttpServer node;
    private volatile long answerDelayMs;
    /** Client port of each call, in arrival order. */
    private final List<Integer> callPorts = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Set<Integer> openConnections = ConcurrentHashMap.newKeySet();
    private volatile int mostOpen;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        node = vertx.createHttpServer()
                .connectionHandler(connection -> {
                    int port = connection.remoteAddress().port();
                    openConnections.add(port);
                    mostOpen = Math.max(mostOpen, openConnections.size());
                    connection.closeHandler(v -> openConnections.remove(port));
                })
                .requestHandler(request -> request.body().onSuccess(body -> {
                    callPorts.add(request.remoteAddress().port());
                    long id = new JsonObject(body).getLong("id");
                    Runnable answer = () -> request.response().putHeader("content-type", "application/json")
                            .end("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":\"0x1\"}");
                    if (answerDelayMs > 0) {
                        vertx.setTimer(answerDelayMs, t -> answer.run());
                    } else {
                        answer.run();
                    }
                }))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Upstream upstream() {
        return new Upstream("net", "node", URI.create("http://127.0.0.1:" + node.actualPort()), 1, 0, Map.of());
    }

    /** Two contexts on different event loops. */
    private List<Context> twoEventLoops() throws Exception {
        Map<Thread, Context> byThread = new ConcurrentHashMap<>();
        for (int i = 0; i < 8 && byThread.size() < 2; i++) {
            Context context = ((VertxInternal) vertx).createEventLoopContext();
            Thread thread = on(context, () -> Future.succeededFuture(Thread.currentThread()));
            byThread.putIfAbsent(thread, context);
        }
        assertEquals(2, byThread.size(), "contexts on two event loops");
        return new ArrayList<>(byThread.values());
    }

    private static <T> T on(Context context, Supplier<Future<T>> work) throws Exception {
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> work.get().onComplete(done));
        return done.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Future<RpcAnswer> call(UpstreamClient client, Upstream upstream) {
        return client.call(upstream, "eth_blockNumber", null, 5000, new CallScope());
    }

    @Test
    void eachEventLoopCallsOverConnectionsOfItsOwn() throws Exception {
        UpstreamClient client = new UpstreamClient(vertx, 8, 1 << 20, Long.MAX_VALUE, new RpcCodec(RpcCodec.Limits.DEFAULT));
        Upstream upstream = upstream();
        List<Context> loops = twoEventLoops();
        for (Context loop : loops) {
            for (int i = 0; i < 5; i++) {
                RpcAnswer answer = on(loop, () -> call(client, upstream));
                assertEquals("\"0x1\"", new String(answer.result(), StandardCharsets.UTF_8));
            }
        }
        assertEquals(10, callPorts.size());
        // One shared pool would hand the second loop the first loop's idle connection.
        assertEquals(Set.of(callPorts.get(0)), Set.copyOf(callPorts.subList(0, 5)), "first loop: one kept-alive connection");
        assertEquals(Set.of(callPorts.get(5)), Set.copyOf(callPorts.subList(5, 10)), "second loop: one kept-alive connection");
        assertNotEquals(callPorts.get(0), callPorts.get(5), "the second loop reused the first loop's connection: " + callPorts);
    }

    @Test
    void allEventLoopsTogetherKeepToConnectionsPerUpstream() throws Exception {
        UpstreamClient client = new UpstreamClient(vertx, 4, 1 << 20, Long.MAX_VALUE, new RpcCodec(RpcCodec.Limits.DEFAULT));
        Upstream upstream = upstream();
        answerDelayMs = 100;
        List<Future<RpcAnswer>> calls = new ArrayList<>();
        for (Context loop : twoEventLoops()) {
            Promise<Void> sent = Promise.promise();
            loop.runOnContext(v -> {
                for (int i = 0; i < 10; i++) {
                    calls.add(call(client, upstream));
                }
                sent.complete();
            });
            sent.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        Future.all(calls).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals(20, callPorts.size());
        assertTrue(mostOpen <= 4, "connections open at once: " + mostOpen + ", limit 4");
        assertEquals(4, Set.copyOf(callPorts).size(), "each loop uses its share of 2 connections: " + Set.copyOf(callPorts));
    }
}
