package io.railyard.upstream;

import io.netty.util.concurrent.EventExecutor;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcCodec;
import io.railyard.jsonrpc.RpcRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.impl.VertxInternal;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends one JSON-RPC call to one upstream over a pooled keep-alive connection, without blocking.
 * Uses Vert.x core's HttpClient rather than WebClient because a call must be resettable: on timeout and when the
 * client hangs up, the in-flight request is reset so the connection and the node stop working for nobody.
 */
public final class UpstreamClient {

    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    private final HttpClientOptions clientOptions;
    private final PoolOptions loopPool;
    /** For calls made outside an event loop (tests, worker threads). */
    private final HttpClient shared;
    private final Map<Thread, HttpClient> perLoop = new ConcurrentHashMap<>();
    private final RpcCodec codec;
    private final int maxResponseBytes;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Upstream, RequestOptions> targets = new ConcurrentHashMap<>();
    private final Vertx vertx;

    /** Answer bytes being received now, all calls together, and the most allowed. */
    private final AtomicLong answerBytes = new AtomicLong();
    private final long maxAnswerBytesInFlight;

    public UpstreamClient(Vertx vertx, int connectionsPerUpstream, int maxResponseBytes, long maxAnswerBytesInFlight, RpcCodec codec) {
        this.maxAnswerBytesInFlight = maxAnswerBytesInFlight;
        this.vertx = vertx;
        this.codec = codec;
        this.maxResponseBytes = maxResponseBytes;
        this.clientOptions = new HttpClientOptions()
                .setKeepAlive(true)
                .setKeepAliveTimeout(60)
                .setTcpNoDelay(true)
                .setConnectTimeout(2000)
                .setVerifyHost(true)
                .setDecompressionSupported(false)
                .setName("railyard-upstreams");
        int loops = eventLoops(vertx);
        int connectionsPerLoop = Math.max(1, (connectionsPerUpstream + loops - 1) / loops);
        this.loopPool = new PoolOptions().setHttp1MaxSize(connectionsPerLoop).setMaxWaitQueueSize(connectionsPerLoop * 64);
        this.shared = vertx.createHttpClient(clientOptions, new PoolOptions()
                .setHttp1MaxSize(connectionsPerUpstream)
                .setMaxWaitQueueSize(connectionsPerUpstream * 64));
    }

    private static int eventLoops(Vertx vertx) {
        int loops = 0;
        for (EventExecutor ignored : ((VertxInternal) vertx).getEventLoopGroup()) {
            loops++;
        }
        return Math.max(1, loops);
    }

    /**
     * The client of the calling event loop. A client's pool hands a request any idle connection, whichever event loop
     * it lives on, and then every step of the call hops between threads; with one client (and its share of the
     * connections) per event loop a call stays on the thread of the request that made it. In the bare forwarder
     * of bench/floor that cut the CPU time per request by a third.
     */
    private HttpClient http() {
        if (!Context.isOnEventLoopThread()) {
            return shared;
        }
        return perLoop.computeIfAbsent(Thread.currentThread(), loop -> vertx.createHttpClient(clientOptions, loopPool));
    }

    /**
     * Calls {@code method} with the raw {@code params} on the upstream.
     *
     * @return the node's answer (a result or its own JSON-RPC error), or a failed future with {@link UpstreamFailure}
     */
    public Future<RpcAnswer> call(Upstream upstream, String method, byte[] params, long timeoutMs, CallScope scope) {
        long id = ids.incrementAndGet();
        Buffer body = RpcCodec.encodeUpstreamRequest(id, method, params);
        return post(upstream, body, timeoutMs, scope).map(bytes -> {
            try {
                return codec.decodeUpstreamReply(bytes, id);
            } catch (RpcCodec.BadUpstreamReply e) {
                throw new UpstreamFailure(UpstreamFailure.Kind.BAD_REPLY, upstream, e.getMessage());
            }
        });
    }

    /**
     * Calls several requests on the upstream as one JSON-RPC batch.
     *
     * @return the answers in request order (null where the node left one out), or a failed future with
     *         {@link UpstreamFailure} ({@code BATCH_REJECTED} when the node does not take batches)
     */
    public Future<RpcAnswer[]> callBatch(Upstream upstream, List<RpcRequest> requests, long timeoutMs, CallScope scope) {
        int count = requests.size();
        long firstId = ids.getAndAdd(count) + 1;
        Buffer body = Buffer.buffer(128 * count).appendByte((byte) '[');
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                body.appendByte((byte) ',');
            }
            RpcRequest r = requests.get(i);
            body.appendBuffer(RpcCodec.encodeUpstreamRequest(firstId + i, r.method(), r.params()));
        }
        body.appendByte((byte) ']');
        return post(upstream, body, timeoutMs, scope).map(bytes -> {
            try {
                return codec.decodeUpstreamBatchReply(bytes, firstId, count);
            } catch (RpcCodec.BatchRejected e) {
                upstream.rejectsBatches();
                throw new UpstreamFailure(UpstreamFailure.Kind.BATCH_REJECTED, upstream, e.getMessage());
            } catch (RpcCodec.BadUpstreamReply e) {
                throw new UpstreamFailure(UpstreamFailure.Kind.BAD_REPLY, upstream, e.getMessage());
            }
        });
    }

    /**
     * Where and how to POST to the upstream, built once per upstream: parsing its URL and copying its headers
     * on every call showed in profiles. Never modified after it is built (Vert.x copies what it reads).
     */
    private static RequestOptions target(Upstream upstream) {
        URI url = upstream.url();
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : (https ? 443 : 80);
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            path += "?" + url.getRawQuery();
        }
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .add(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
                .add(HttpHeaders.ACCEPT, APPLICATION_JSON);
        upstream.headers().forEach(headers::add);
        return new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(url.getHost())
                .setPort(port)
                .setSsl(https)
                .setURI(path)
                .setHeaders(headers);
    }

    private Future<byte[]> post(Upstream upstream, Buffer body, long timeoutMs, CallScope scope) {
        Promise<byte[]> promise = Promise.promise();
        if (scope.isCancelled()) {
            return Future.failedFuture(new UpstreamFailure(UpstreamFailure.Kind.CANCELLED, upstream, "client went away"));
        }
        RequestOptions options = targets.computeIfAbsent(upstream, UpstreamClient::target);

        HttpClientRequest[] sent = new HttpClientRequest[1];
        long timer = vertx.setTimer(Math.max(1, timeoutMs), t -> {
            if (promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.TIMEOUT, upstream, "no answer within " + timeoutMs + " ms"))
                    && sent[0] != null) {
                sent[0].reset(0, new TimeoutException());
            }
        });
        scope.onCancel(() -> {
            if (promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.CANCELLED, upstream, "client went away")) && sent[0] != null) {
                sent[0].reset();
            }
        });
        promise.future().onComplete(done -> vertx.cancelTimer(timer));

        http().request(options).onComplete(opened -> {
            if (opened.failed()) {
                promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.CONNECT, upstream, describe(opened.cause())));
                return;
            }
            HttpClientRequest request = opened.result();
            // Resets (timeouts, clients hanging up) are expected here and already reported through the promise.
            request.exceptionHandler(e -> promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.RESET, upstream, describe(e))));
            sent[0] = request;
            if (promise.future().isComplete()) {
                request.reset();
                return;
            }
            request.send(body).onComplete(answered -> {
                if (answered.failed()) {
                    promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.RESET, upstream, describe(answered.cause())));
                    return;
                }
                readBody(upstream, answered.result(), request, promise);
            });
        });
        return promise.future();
    }

    private void readBody(Upstream upstream, HttpClientResponse response, HttpClientRequest request, Promise<byte[]> promise) {
        // Set first: resetting an oversized answer below is expected and must not be logged as an error.
        response.exceptionHandler(e -> promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.RESET, upstream, describe(e))));
        int status = response.statusCode();
        if (status == 429 || status >= 500) {
            response.end();
            promise.tryFail(new UpstreamFailure(status == 429 ? UpstreamFailure.Kind.RATE_LIMITED : UpstreamFailure.Kind.HTTP_5XX,
                    upstream, status, "HTTP " + status));
            return;
        }
        String length = response.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && parseLength(length) > maxResponseBytes) {
            // Fail before resetting: the reset's own exception must not decide the reason.
            promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.BAD_REPLY, upstream,
                    "response of " + length + " bytes is over the limit of " + maxResponseBytes));
            request.reset();
            return;
        }
        long declared = length == null ? -1 : parseLength(length);
        long[] held = {0};
        // Given back once the call is settled, whichever way: the bytes are then the answer's, or garbage.
        promise.future().onComplete(done -> answerBytes.addAndGet(-held[0]));
        if (declared > 0 && !reserve(held, declared, upstream, request, promise)) {
            return;
        }
        Buffer received = Buffer.buffer(declared > 0 ? (int) Math.min(declared, maxResponseBytes) : 1024);
        response.handler(chunk -> {
            if (promise.future().isComplete()) {
                return;
            }
            if (received.length() + chunk.length() > maxResponseBytes) {
                if (promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.BAD_REPLY, upstream,
                        "response over the limit of " + maxResponseBytes + " bytes"))) {
                    request.reset();
                }
                return;
            }
            long unreserved = received.length() + chunk.length() - held[0];
            if (unreserved > 0 && !reserve(held, unreserved, upstream, request, promise)) {
                return;
            }
            received.appendBuffer(chunk);
        });
        response.endHandler(v -> {
            if (status >= 200 && status < 300 || status >= 400) {
                // 4xx bodies often carry a JSON-RPC error; the codec decides whether they are one.
                promise.tryComplete(received.getBytes());
            } else {
                promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.BAD_REPLY, upstream, "HTTP " + status));
            }
        });
    }

    /**
     * Takes {@code bytes} more of the answer budget for this call, or fails the call (and resets its request) when
     * that would go past {@code max-answer-bytes-in-flight}.
     */
    private boolean reserve(long[] held, long bytes, Upstream upstream, HttpClientRequest request, Promise<byte[]> promise) {
        if (answerBytes.addAndGet(bytes) > maxAnswerBytesInFlight) {
            answerBytes.addAndGet(-bytes);
            if (promise.tryFail(new UpstreamFailure(UpstreamFailure.Kind.ANSWER_BUDGET, upstream, "answer bytes in flight"
                    + " would pass railyard.forward.max-answer-bytes-in-flight (" + maxAnswerBytesInFlight + ")"))) {
                request.reset();
            }
            return false;
        }
        held[0] += bytes;
        return true;
    }

    /** Upstream answer bytes being received now, all calls together. */
    public long answerBytesInFlight() {
        return answerBytes.get();
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    public void close() {
        perLoop.values().forEach(HttpClient::close);
        shared.close();
    }
}
