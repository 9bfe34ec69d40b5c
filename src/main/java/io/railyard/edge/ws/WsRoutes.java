package io.railyard.edge.ws;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.vertx.http.runtime.filters.QuarkusRequestWrapper;
import io.railyard.access.ApiKey;
import io.railyard.access.ClientAddress;
import io.railyard.access.ClientPolicy;
import io.railyard.config.RailyardConfig;
import io.railyard.core.RpcGateway;
import io.railyard.edge.http.Cors;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.metrics.Meters;
import io.railyard.subscription.HeadStreams;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * WebSocket upgrades on the JSON-RPC paths ({@code /}, {@code /{network}}, {@code /{network}/{apiKey}}, or an
 * {@code X-Api-Key} header). What can be refused is refused before the upgrade, with the HTTP status and JSON-RPC
 * error a POST would get: unknown network 404, API key 401, origin 403, too many connections 503 (all) or 429 (one
 * client). An open connection is pinged every {@code ping-interval} and closed (1001) when nothing, not even a pong,
 * arrives for {@code idle-timeout}.
 */
@ApplicationScoped
public class WsRoutes {

    private static final Logger LOG = Logger.getLogger(WsRoutes.class);

    @Inject
    RailyardConfig config;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @Inject
    HeadStreams streams;

    @Inject
    ClientPolicy policy;

    @Inject
    Cors cors;

    @Inject
    Meters meters;

    @Inject
    Vertx vertx;

    private final Set<WsConnection> open = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> perNetwork = new ConcurrentHashMap<>();
    private ClientAddress clientAddress;
    private WsConnection.Limits limits;
    private volatile boolean shuttingDown;

    @PostConstruct
    void init() {
        clientAddress = new ClientAddress(config.trustedProxies().orElse(List.of()));
        RailyardConfig.WebSocketConfig ws = config.websocket();
        limits = new WsConnection.Limits(ws.maxSubscriptionsPerConnection(), ws.maxPendingBytes(), ws.maxMessageBytes());
        for (String network : pools.all().keySet()) {
            AtomicInteger count = new AtomicInteger();
            perNetwork.put(network, count);
            meters.wsConnectionGauge(network, count, AtomicInteger::get);
        }
    }

    void routes(@Observes Router router) {
        if (!config.websocket().enabled()) {
            return;
        }
        for (String path : List.of("/", "/:network", "/:network/:apiKey")) {
            router.get(path).handler(this::upgrade);
        }
        vertx.setPeriodic(config.websocket().pingInterval().toMillis(), id -> open.forEach(WsConnection::ping));
    }

    /** Open WebSocket connections, all networks together. */
    public int openConnections() {
        return open.size();
    }

    private void upgrade(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (!"websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE))) {
            ctx.next();
            return;
        }
        if (shuttingDown) {
            refuse(ctx, RpcErrorCode.RESOURCE_UNAVAILABLE, "Gateway shutting down; connect to another replica");
            return;
        }
        String network = ctx.pathParam("network");
        UpstreamPool pool = network == null ? pools.defaultPool() : pools.pool(network);
        if (pool == null) {
            refuse(ctx, RpcErrorCode.UNKNOWN_NETWORK, network == null
                    ? "no default network: set railyard.default-network or connect to /<network>"
                    : "unknown network '" + network + "' (configured: " + String.join(", ", pools.all().keySet()) + ")");
            return;
        }
        String secret = ctx.pathParam("apiKey");
        if (secret == null) {
            secret = request.getHeader("X-Api-Key");
        }
        ApiKey key = null;
        if (secret != null && !secret.isEmpty()) {
            key = policy.key(secret);
            if (key == null) {
                refuse(ctx, RpcErrorCode.UNAUTHORIZED, "Unauthorized: unknown API key");
                return;
            }
            if (!key.mayUse(pool.network())) {
                refuse(ctx, RpcErrorCode.UNAUTHORIZED, "Unauthorized: API key '" + key.name() + "' may not use network " + pool.network());
                return;
            }
        } else if (policy.requiresKey(pool.network())) {
            refuse(ctx, RpcErrorCode.UNAUTHORIZED, "Unauthorized: network " + pool.network()
                    + " requires an API key (/" + pool.network() + "/<key> or an X-Api-Key header)");
            return;
        }
        String originRefusal = cors.upgradeRefusal(ctx);
        if (originRefusal != null) {
            refuse(ctx, RpcErrorCode.ORIGIN_NOT_ALLOWED, originRefusal);
            return;
        }
        SocketAddress remote = request.connection().remoteAddress();
        String client = clientAddress.resolve(remote == null ? "" : remote.hostAddress(), request.getHeader("X-Forwarded-For"));
        String owner = key != null ? "key " + key.name() : "client " + client;
        RailyardConfig.WebSocketConfig limitsConfig = config.websocket();
        if (open.size() >= limitsConfig.maxConnections()) {
            refuse(ctx, RpcErrorCode.OVERLOADED, "Gateway holds " + limitsConfig.maxConnections()
                    + " WebSocket connections already (railyard.websocket.max-connections); retry shortly");
            return;
        }
        AtomicInteger mine = perClient.computeIfAbsent(owner, k -> new AtomicInteger());
        if (mine.incrementAndGet() > limitsConfig.maxConnectionsPerClient()) {
            release(owner, mine);
            ctx.response().putHeader("Retry-After", "1");
            refuse(ctx, RpcErrorCode.LIMIT_EXCEEDED, "Limit exceeded: " + owner + " holds " + limitsConfig.maxConnectionsPerClient()
                    + " WebSocket connections already (railyard.websocket.max-connections-per-client)");
            return;
        }
        String apiKey = secret;
        request.toWebSocket().onComplete(upgraded -> {
            if (upgraded.failed()) {
                release(owner, mine);
                LOG.debugf("WebSocket upgrade from %s failed: %s", client, upgraded.cause().getMessage());
                return;
            }
            ServerWebSocket ws = upgraded.result();
            readerIdleTimeout(request, ws);
            AtomicInteger onNetwork = perNetwork.get(pool.network());
            WsConnection connection = new WsConnection(ws, pool, client, apiKey, gateway, streams, limits,
                    meters.wsMessages(pool.network(), "in"), meters.wsMessages(pool.network(), "out"),
                    () -> meters.wsSlowConsumerClosed(pool.network()));
            open.add(connection);
            onNetwork.incrementAndGet();
            ws.closeHandler(v -> {
                requestDone(request);
                if (open.remove(connection)) {
                    onNetwork.decrementAndGet();
                    release(owner, mine);
                }
                connection.closed();
            });
            connection.start();
        });
    }

    /**
     * Quarkus's graceful shutdown counts a request as in flight until its response ends, which an upgraded one never
     * does: without this, one WebSocket ever opened would hold every shutdown to its full timeout. So the request is
     * marked done when its socket closes, through Quarkus's own (package-private) hook.
     */
    private static void requestDone(HttpServerRequest request) {
        QuarkusRequestWrapper wrapper = QuarkusRequestWrapper.get(request);
        if (wrapper == null || REQUEST_DONE == null) {
            return;
        }
        try {
            REQUEST_DONE.invoke(wrapper);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debugf("could not mark an upgraded request done: %s", e);
        }
    }

    private static final java.lang.reflect.Method REQUEST_DONE = requestDoneMethod();

    private static java.lang.reflect.Method requestDoneMethod() {
        try {
            java.lang.reflect.Method done = QuarkusRequestWrapper.class.getDeclaredMethod("done");
            done.setAccessible(true);
            return done;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("Quarkus's request-done hook is not there (%s): shutdowns wait their full timeout while WebSockets are open", e);
            return null;
        }
    }

    private void release(String owner, AtomicInteger count) {
        if (count.decrementAndGet() <= 0) {
            perClient.remove(owner, count);
        }
    }

    /**
     * From the upgrade on, the connection's timer counts only what the client sends: the gateway's own pings and
     * notifications keep no dead client open, a live one answers the pings.
     */
    private void readerIdleTimeout(HttpServerRequest request, ServerWebSocket ws) {
        if (!(request.connection() instanceof ConnectionBase connection)) {
            return;
        }
        Channel channel = connection.channel();
        ChannelPipeline pipeline = channel.pipeline();
        IdleStateHandler idle = new IdleStateHandler(config.websocket().idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS);
        if (pipeline.get("railyard-head-deadline") != null) {
            pipeline.remove("railyard-head-deadline");
        }
        if (pipeline.get("idle") != null) {
            pipeline.replace("idle", "idle", idle);
        } else if (pipeline.get("handler") != null) {
            pipeline.addBefore("handler", "idle", idle);
        }
        // Vert.x would drop an idle connection without a close frame (the client sees 1006); it is told why: 1001.
        pipeline.addAfter("idle", "railyard-ws-idle", new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                if (event instanceof IdleStateEvent) {
                    ws.close(CloseCodes.GOING_AWAY, "idle: nothing received for " + config.websocket().idleTimeout().toMillis()
                            + " ms (railyard.websocket.idle-timeout)");
                    return;
                }
                super.userEventTriggered(ctx, event);
            }
        });
        // Vert.x's frame decoder drops a connection that sends a frame over the limit without a word (the client sees
        // 1006); this one, configured the same but closing on a violation, tells the client why: 1009.
        if (pipeline.get("wsdecoder") instanceof WebSocketFrameDecoder) {
            int max = config.websocket().maxMessageBytes();
            WebSocket13FrameDecoder decoder = new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                    .expectMaskedFrames(true).allowExtensions(true).maxFramePayloadLength(max).allowMaskMismatch(false)
                    .closeOnProtocolViolation(true).build());
            // After the encoder, so that the close frame it writes is encoded on its way out.
            pipeline.remove("wsdecoder");
            if (pipeline.get("wsencoder") != null) {
                pipeline.addAfter("wsencoder", "wsdecoder", decoder);
            } else {
                pipeline.addFirst("wsdecoder", decoder);
            }
        }
    }

    private static void refuse(RoutingContext ctx, RpcErrorCode code, String message) {
        ctx.response().setStatusCode(code.httpStatus()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(RpcAnswer.error(code, message).toBuffer(RpcAnswer.NULL));
    }

    @ConfigProperty(name = "quarkus.shutdown.delay")
    Optional<Duration> shutdownDelay;

    /**
     * From SIGTERM on no new socket is taken (a client should connect to another replica); when the shutdown delay
     * is over and HTTP requests drain, every socket is told to go elsewhere (1001). Left to the server's own close,
     * sockets would get 1000, which clients take for a normal end and do not reconnect after.
     */
    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        shuttingDown = true;
        vertx.setTimer(Math.max(1, shutdownDelay.orElse(Duration.ZERO).toMillis()), id -> goAway());
    }

    /** Without a shutdown delay, at shutdown itself. */
    void onShutdown(@Observes ShutdownEvent event) {
        shuttingDown = true;
        goAway();
    }

    private void goAway() {
        for (WsConnection connection : open) {
            connection.goAway();
        }
    }
}
