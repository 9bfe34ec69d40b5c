package io.railyard.edge.http;

import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.buffer.ByteBuf;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.railyard.access.ClientAddress;
import io.railyard.config.AccessLogFormat;
import io.railyard.config.RailyardConfig;
import io.railyard.core.GatewayReply;
import io.railyard.core.RpcGateway;
import io.railyard.core.pipeline.AccessRecord;
import io.railyard.core.pipeline.RequestId;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.memory.HeapGuard;
import io.railyard.metrics.Meters;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.VertxByteBufAllocator;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** The JSON-RPC endpoints: {@code POST /}, {@code POST /{network}}, {@code POST /{network}/{apiKey}}. */
@ApplicationScoped
public class RpcRoutes {

    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    @Inject
    RpcGateway gateway;

    @Inject
    UpstreamPools pools;

    @Inject
    RailyardConfig config;

    @Inject
    Vertx vertx;

    @Inject
    HeapGuard heap;

    @Inject
    Meters meters;

    @Inject
    ConnectionDeadlines deadlines;

    @Inject
    Ticker ticker;

    private static final Logger ACCESS = Logger.getLogger("railyard.access");
    private static final Logger LOG = Logger.getLogger(RpcRoutes.class);

    private ClientAddress clientAddress;
    private boolean accessLog;
    private boolean accessLogJson;
    private int maxBodyBytes;
    private int maxInFlight;
    private long bodyReadTimeoutMs;
    private final AtomicInteger inFlight = new AtomicInteger();

    void routes(@Observes Router router) {
        clientAddress = new ClientAddress(config.trustedProxies().orElse(List.of()));
        maxBodyBytes = config.limits().maxBodyBytes();
        maxInFlight = config.limits().maxInFlight();
        bodyReadTimeoutMs = config.limits().bodyReadTimeout().toMillis();
        accessLog = config.accessLog().enabled();
        accessLogJson = config.accessLog().format() == AccessLogFormat.JSON;
        for (String path : List.of("/", "/:network", "/:network/:apiKey")) {
            // One handler reads the body itself: Vert.x Web's BodyHandler (a second route, form and upload
            // handling) cost several percent of pass-through throughput, and a JSON-RPC body is only ever bytes.
            router.post(path).handler(this::admit);
        }
    }

    /**
     * Sheds load above {@code max-in-flight} before reading the body, gives a slow sender {@code body-read-timeout}
     * to finish its body, and reads at most {@code max-body-bytes} of it.
     */
    private void admit(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        deadlines.onRequest(request);
        RequestId id = RequestId.next();
        AccessRecord access = accessLog ? new AccessRecord(id, ticker) : null;
        if (heap.isOverloaded()) {
            UpstreamPool shedFrom = poolOf(ctx);
            if (shedFrom != null) {
                heap.shed(shedFrom.network());
            }
            // The body is not read (that would spend the memory this is saving), so the connection cannot carry
            // another request, and the answer's id is null.
            ctx.response().putHeader("Retry-After", "1").putHeader(HttpHeaders.CONNECTION, "close");
            refuse(ctx, access, id, RpcErrorCode.OVERLOADED, "Gateway overloaded: its heap is nearly full"
                    + " (railyard.overload.high-water); retry shortly");
            return;
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            ctx.response().putHeader("Retry-After", "1").putHeader(HttpHeaders.CONNECTION, "close");
            refuse(ctx, access, id, RpcErrorCode.OVERLOADED, "Gateway overloaded: more than " + maxInFlight
                    + " requests in flight (railyard.limits.max-in-flight); retry shortly");
            return;
        }
        ctx.addEndHandler(v -> inFlight.decrementAndGet());
        long declared = declaredLength(request.getHeader(HttpHeaders.CONTENT_LENGTH));
        if (declared > maxBodyBytes) {
            bodyTooLarge(ctx, access, id);
            return;
        }
        BodyReader body = new BodyReader(ctx, declared, access, id);
        request.handler(body).endHandler(body::end).exceptionHandler(body::failed);
        // Vert.x Web pauses the request until a handler is ready for its body.
        request.resume();
        // Nearly every body arrives with its headers and is read in this same turn of the event loop; only one that
        // is still unfinished after it needs a timer (arming and cancelling one per request cost ~3 % of a cache hit).
        vertx.getOrCreateContext().runOnContext(v -> body.armTimer());
    }

    /** Collects one request body up to the limit, then hands it to {@link #handle}. */
    private final class BodyReader implements Handler<Buffer> {
        private final RoutingContext ctx;
        private final AccessRecord access;
        private final RequestId id;
        private final Buffer received;
        private boolean over;
        private boolean finished;
        private long timer = -1;

        BodyReader(RoutingContext ctx, long declared, AccessRecord access, RequestId id) {
            this.ctx = ctx;
            this.access = access;
            this.id = id;
            this.received = Buffer.buffer(declared > 0 ? (int) declared : 1024);
        }

        @Override
        public void handle(Buffer chunk) {
            if (over) {
                return;
            }
            if (received.length() + chunk.length() > maxBodyBytes) {
                over = true;
                stopTimer();
                bodyTooLarge(ctx, access, id);
                return;
            }
            received.appendBuffer(chunk);
        }

        private void stopTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }

        void armTimer() {
            if (finished || over) {
                return;
            }
            timer = vertx.setTimer(bodyReadTimeoutMs, t -> {
                if (!ctx.response().ended() && !ctx.response().closed()) {
                    meters.clientTimeout("body");
                    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                    refuse(ctx, access, id, RpcErrorCode.BODY_TIMEOUT, "Request body not received within "
                            + bodyReadTimeoutMs + " ms (railyard.limits.body-read-timeout)");
                    ctx.request().connection().close();
                }
            });
        }

        void end(Void ignored) {
            finished = true;
            stopTimer();
            if (over) {
                return;
            }
            try {
                RpcRoutes.this.handle(ctx, received.getBytes(), access, id);
            } catch (RuntimeException e) {
                // Outside the router now, so nothing else would answer: a bug must not leave the client hanging.
                LOG.errorf(e, "request %s failed", id);
                if (!ctx.response().ended() && !ctx.response().closed()) {
                    refuse(ctx, access, id, RpcErrorCode.INTERNAL_ERROR, "internal error");
                }
            }
        }

        void failed(Throwable cause) {
            finished = true;
            stopTimer();
            // The connection broke mid-body: nobody is left to answer.
        }
    }

    private void bodyTooLarge(RoutingContext ctx, AccessRecord access, RequestId id) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        // The rest of the body is not read: the connection cannot carry another request.
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        refuse(ctx, access, id, RpcErrorCode.BODY_TOO_LARGE,
                "Request body too large: the limit is " + maxBodyBytes + " bytes (railyard.limits.max-body-bytes)");
    }

    private static long declaredLength(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @ConfigProperty(name = "quarkus.shutdown.delay")
    Optional<Duration> shutdownDelay;

    /** When SIGTERM arrived (the ticker's reading), or 0. */
    private volatile long shutdownStarted;

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        shutdownStarted = ticker.read();
    }

    /**
     * During the shutdown delay readiness is DOWN but load balancers may still send: requests are served. After it,
     * while requests in flight drain, new ones are refused so that none is cut off by the exit.
     */
    private boolean draining() {
        long started = shutdownStarted;
        return started != 0 && ticker.read() - started >= shutdownDelay.orElse(Duration.ZERO).toNanos();
    }

    private void handle(RoutingContext ctx, byte[] body, AccessRecord access, RequestId id) {
        if (draining()) {
            // Refused once the body is read, so that the answer carries the request's id (a wallet matching answers
            // by id, or retrying a transaction, can tell this one was not sent).
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close").putHeader("Retry-After", "1");
            refuseEvery(ctx, access, id, body, RpcErrorCode.RESOURCE_UNAVAILABLE, "Gateway shutting down; retry on another replica");
            return;
        }
        String network = ctx.pathParam("network");
        UpstreamPool pool = poolOf(ctx);
        if (pool == null) {
            String message = network == null
                    ? "no default network: set railyard.default-network or POST to /<network> (" + String.join(", ", pools.all().keySet()) + ")"
                    : "unknown network '" + network + "' (configured: " + String.join(", ", pools.all().keySet()) + ")";
            refuseEvery(ctx, access, id, body, RpcErrorCode.UNKNOWN_NETWORK, message);
            return;
        }
        // The socket's own peer: the trusted-proxy rule is about who connected, whatever headers say.
        SocketAddress remote = ctx.request().connection().remoteAddress();
        String peer = remote == null ? "" : remote.hostAddress();
        String client = clientAddress.resolve(peer, ctx.request().getHeader("X-Forwarded-For"));
        CallScope scope = new CallScope();
        HttpServerResponse response = ctx.response();
        response.closeHandler(v -> scope.cancel());
        String apiKey = ctx.pathParam("apiKey");
        if (apiKey == null) {
            apiKey = ctx.request().getHeader("X-Api-Key");
        }
        gateway.handle(pool, body, client, apiKey, scope, access, id, null).onComplete(done -> {
            if (access != null) {
                ACCESS.info(access.line(done.succeeded() ? done.result().httpStatus() : 500, accessLogJson));
            }
            if (response.closed() || response.ended()) {
                return;
            }
            if (shutdownStarted != 0) {
                // From SIGTERM on, clients are told to open their next connection elsewhere (another replica),
                // so that none is still reusing this one when the listener closes.
                response.putHeader(HttpHeaders.CONNECTION, "close");
            }
            if (done.succeeded()) {
                write(response, done.result());
            } else {
                LOG.errorf(done.cause(), "request %s failed", id);
                refuse(response, RpcErrorCode.INTERNAL_ERROR, "internal error", id);
            }
        });
    }

    /** The gateway's reply as HTTP: its status, the rate-limit headers (IETF httpapi draft) when limited, the body. */
    private static void write(HttpServerResponse response, GatewayReply reply) {
        GatewayReply.LimitAdvice limit = reply.limit();
        if (limit != null) {
            response.putHeader("Retry-After", Long.toString(limit.retryAfterSeconds()))
                    .putHeader("RateLimit-Policy", "\"" + limit.policy() + "\";q=" + limit.burst() + ";w=" + limit.windowSeconds())
                    .putHeader("RateLimit", "\"" + limit.policy() + "\";r=0;t=" + limit.retryAfterSeconds());
        }
        if (reply.answer() != null) {
            reply(response, reply.httpStatus(), reply.answer(), reply.answerId());
        } else if (reply.body() == null) {
            response.setStatusCode(reply.httpStatus()).end();
        } else {
            reply(response, reply.httpStatus(), reply.body());
        }
    }

    /** The network a request's path names (the default one for {@code /}), or null when none is configured so. */
    private UpstreamPool poolOf(RoutingContext ctx) {
        String network = ctx.pathParam("network");
        return network == null ? pools.defaultPool() : pools.pool(network);
    }

    /**
     * One of the gateway's own errors once the body is read, so that it carries each request's id as any other
     * answer does; written to the access log too.
     */
    private void refuseEvery(RoutingContext ctx, AccessRecord access, RequestId id, byte[] body, RpcErrorCode code, String message) {
        if (access != null) {
            ACCESS.info(access.line(code.httpStatus(), accessLogJson));
        }
        write(ctx.response(), gateway.refuseEvery(body, code, message, id));
    }

    /** One of the gateway's own errors before the gateway had the request, written to the access log too. */
    private void refuse(RoutingContext ctx, AccessRecord access, RequestId id, RpcErrorCode code, String message) {
        if (access != null) {
            ACCESS.info(access.line(code.httpStatus(), accessLogJson));
        }
        refuse(ctx.response(), code, message, id);
    }

    /** One of the gateway's own errors, with the HTTP status its code calls for. */
    private static void refuse(HttpServerResponse response, RpcErrorCode code, String message, RequestId id) {
        reply(response, code.httpStatus(), RpcAnswer.error(code, message, id), RpcAnswer.NULL);
    }

    private static void reply(HttpServerResponse response, int status, Buffer body) {
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(body);
    }

    /**
     * Writes one answer straight into a pooled direct buffer, the kind the socket is written from: a 13 KB block is
     * copied once, where a heap buffer costs an allocation and a second copy. Vert.x never releases a buffer it is
     * handed, so it is released here once the write is done or has failed.
     */
    private static void reply(HttpServerResponse response, int status, RpcAnswer answer, byte[] id) {
        ByteBuf out = VertxByteBufAllocator.POOLED_ALLOCATOR.directBuffer(answer.encodedSize(id));
        try {
            Buffer body = answer.writeTo(Buffer.buffer(out), id);
            response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
                    .end(body).onComplete(written -> out.release());
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
