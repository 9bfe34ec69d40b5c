package io.railyard.gateway;

import io.railyard.config.RailyardConfig;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.ratelimit.ClientAddress;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
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

    private static final Logger ACCESS = Logger.getLogger("railyard.access");

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
        accessLogJson = "json".equals(config.accessLog().format());
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes).setHandleFileUploads(false);
        for (String path : List.of("/", "/:network", "/:network/:apiKey")) {
            // Admission is a route of its own: Vert.x wants the body handler first on a route.
            router.post(path).handler(this::admit);
            router.post(path).handler(body).handler(this::handle).failureHandler(this::failure);
        }
    }

    /**
     * Sheds load above {@code max-in-flight} before reading the body, and gives a slow sender
     * {@code body-read-timeout} to finish its body.
     */
    private void admit(RoutingContext ctx) {
        if (draining()) {
            RpcAnswer error = RpcAnswer.error(RpcErrorCode.RESOURCE_UNAVAILABLE, "Gateway shutting down; retry on another replica");
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close").putHeader("Retry-After", "1");
            reply(ctx.response(), 503, error.toBuffer(RpcAnswer.NULL));
            return;
        }
        // The body is JSON-RPC whatever the client labels it: without this, the body handler would parse a
        // form or multipart body as such (curl -d sends application/x-www-form-urlencoded).
        ctx.request().headers().remove(HttpHeaders.CONTENT_TYPE);
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            RpcAnswer error = RpcAnswer.error(RpcErrorCode.OVERLOADED, "Gateway overloaded: more than " + maxInFlight
                    + " requests in flight (railyard.limits.max-in-flight); retry shortly");
            ctx.response().putHeader("Retry-After", "1").putHeader(HttpHeaders.CONNECTION, "close");
            reply(ctx.response(), 503, error.toBuffer(RpcAnswer.NULL));
            return;
        }
        ctx.addEndHandler(v -> inFlight.decrementAndGet());
        long timer = vertx.setTimer(bodyReadTimeoutMs, t -> {
            if (!ctx.response().ended() && !ctx.response().closed()) {
                RpcAnswer error = RpcAnswer.error(RpcErrorCode.BODY_TIMEOUT, "Request body not received within "
                        + bodyReadTimeoutMs + " ms (railyard.limits.body-read-timeout)");
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                reply(ctx.response(), 408, error.toBuffer(RpcAnswer.NULL));
                ctx.request().connection().close();
            }
        });
        ctx.put(BODY_TIMER, timer);
        ctx.next();
    }

    private static final String BODY_TIMER = "railyard.bodyTimer";

    @ConfigProperty(name = "quarkus.shutdown.delay")
    Optional<Duration> shutdownDelay;

    /** When SIGTERM arrived (nanoTime), or 0. */
    private volatile long shutdownStarted;

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        shutdownStarted = System.nanoTime();
    }

    /**
     * During the shutdown delay readiness is DOWN but load balancers may still send: requests are served. After it,
     * while requests in flight drain, new ones are refused so that none is cut off by the exit.
     */
    private boolean draining() {
        long started = shutdownStarted;
        return started != 0 && System.nanoTime() - started >= shutdownDelay.orElse(Duration.ZERO).toNanos();
    }

    private void cancelBodyTimer(RoutingContext ctx) {
        Long timer = ctx.get(BODY_TIMER);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }

    private void handle(RoutingContext ctx) {
        cancelBodyTimer(ctx);
        String network = ctx.pathParam("network");
        UpstreamPool pool = network == null ? pools.defaultPool() : pools.pool(network);
        if (pool == null) {
            String message = network == null
                    ? "no default network: set railyard.default-network or POST to /<network> (" + String.join(", ", pools.all().keySet()) + ")"
                    : "unknown network '" + network + "' (configured: " + String.join(", ", pools.all().keySet()) + ")";
            reply(ctx.response(), RpcErrorCode.UNKNOWN_NETWORK.httpStatus(), RpcAnswer.error(RpcErrorCode.UNKNOWN_NETWORK, message).toBuffer(RpcAnswer.NULL));
            return;
        }
        String peer = ctx.request().remoteAddress() == null ? "" : ctx.request().remoteAddress().hostAddress();
        String client = clientAddress.resolve(peer, ctx.request().getHeader("X-Forwarded-For"));
        CallScope scope = new CallScope();
        HttpServerResponse response = ctx.response();
        response.closeHandler(v -> scope.cancel());
        byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        String apiKey = ctx.pathParam("apiKey");
        if (apiKey == null) {
            apiKey = ctx.request().getHeader("X-Api-Key");
        }
        AccessRecord access = accessLog ? new AccessRecord() : null;
        gateway.handle(pool, body, client, apiKey, scope, access).onComplete(done -> {
            if (access != null) {
                ACCESS.info(access.line(done.succeeded() ? done.result().status() : 500, accessLogJson));
            }
            if (response.closed() || response.ended()) {
                return;
            }
            if (done.succeeded()) {
                GatewayReply reply = done.result();
                reply.headers().forEach(response::putHeader);
                if (reply.body() == null) {
                    response.setStatusCode(reply.status()).end();
                } else {
                    reply(response, reply.status(), reply.body());
                }
            } else {
                reply(response, 500, RpcAnswer.error(RpcErrorCode.INTERNAL_ERROR, "internal error").toBuffer(RpcAnswer.NULL));
            }
        });
    }

    private void failure(RoutingContext ctx) {
        cancelBodyTimer(ctx);
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        if (ctx.statusCode() == 413) {
            RpcAnswer error = RpcAnswer.error(RpcErrorCode.BODY_TOO_LARGE,
                    "Request body too large: the limit is " + maxBodyBytes + " bytes (railyard.limits.max-body-bytes)");
            reply(ctx.response(), 413, error.toBuffer(RpcAnswer.NULL));
            return;
        }
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        RpcAnswer error = status < 500
                ? RpcAnswer.error(RpcErrorCode.INVALID_REQUEST, "Invalid request: the HTTP request could not be read (HTTP " + status + ")")
                : RpcAnswer.error(RpcErrorCode.INTERNAL_ERROR, "internal error");
        reply(ctx.response(), status, error.toBuffer(RpcAnswer.NULL));
    }

    private static void reply(HttpServerResponse response, int status, Buffer body) {
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(body);
    }
}
