package io.railyard.edge.ws;

import io.railyard.core.GatewayReply;
import io.railyard.core.RpcGateway;
import io.railyard.core.pipeline.RequestId;
import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.Session;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.subscription.HeadStreams;
import io.railyard.subscription.LogFilter;
import io.railyard.subscription.Notification;
import io.railyard.subscription.Subscriber;
import io.railyard.subscription.SubscriptionKind;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client's WebSocket: every text message is a JSON-RPC body answered through the gateway's pipeline (with the
 * same keys, limits and errors as over HTTP), and the connection holds the client's subscriptions. Messages are
 * handled on the connection's event loop; notifications arrive from the streams' event loops.
 */
final class WsConnection implements Session {

    private static final Logger LOG = Logger.getLogger(WsConnection.class);
    private static final Buffer PING = Buffer.buffer("railyard");
    private static final byte[] MESSAGE_END = "}}".getBytes(StandardCharsets.US_ASCII);

    /** The limits one connection lives within. */
    record Limits(int maxSubscriptions, int maxPendingBytes, int maxMessageBytes) {
    }

    private final ServerWebSocket ws;
    private final UpstreamPool pool;
    private final String client;
    private final String apiKey;
    private final RpcGateway gateway;
    private final HeadStreams streams;
    private final Limits limits;
    private final LongAdder in;
    private final LongAdder out;
    private final Runnable slowConsumerClosed;
    private final Map<String, WsSubscription> subscriptions = new ConcurrentHashMap<>();
    /** Requests of this connection under way: cancelled when it closes. Event loop only. */
    private final Set<CallScope> inFlight = new HashSet<>();
    private volatile boolean closed;
    /** The event loop the socket lives on, where its notifications are written; set by {@link #start()}. */
    private volatile Context loop;

    WsConnection(ServerWebSocket ws, UpstreamPool pool, String client, String apiKey, RpcGateway gateway, HeadStreams streams,
                 Limits limits, LongAdder in, LongAdder out, Runnable slowConsumerClosed) {
        this.ws = ws;
        this.pool = pool;
        this.client = client;
        this.apiKey = apiKey;
        this.gateway = gateway;
        this.streams = streams;
        this.limits = limits;
        this.in = in;
        this.out = out;
        this.slowConsumerClosed = slowConsumerClosed;
    }

    /** Called on the socket's event loop. */
    void start() {
        loop = Vertx.currentContext();
        ws.setWriteQueueMaxSize(limits.maxPendingBytes());
        ws.textMessageHandler(this::onMessage);
        ws.binaryMessageHandler(b -> ws.close(CloseCodes.UNSUPPORTED_DATA, "binary messages are not JSON-RPC: send text"));
        ws.exceptionHandler(e -> {
            // Vert.x reports a message whose frames add up past max-message-bytes this way, and drops its frames.
            if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
                ws.close(CloseCodes.MESSAGE_TOO_BIG, "message over " + limits.maxMessageBytes() + " bytes (railyard.websocket.max-message-bytes)");
                return;
            }
            LOG.debugf("WebSocket of %s on %s: %s", client, pool.network(), e.getMessage());
        });
    }

    /** Ends the connection's subscriptions and cancels its requests; called once, when the socket has closed. */
    void closed() {
        closed = true;
        for (WsSubscription s : subscriptions.values()) {
            streams.unsubscribe(pool.network(), s);
        }
        subscriptions.clear();
        List<CallScope> open = new ArrayList<>(inFlight);
        inFlight.clear();
        open.forEach(CallScope::cancel);
    }

    /** Keeps the client answering: a live one pongs, which its idle timer counts. */
    void ping() {
        if (!closed && !ws.isClosed()) {
            ws.writePing(PING);
        }
    }

    /** The gateway is going away: the client should reconnect elsewhere. */
    void goAway() {
        if (!ws.isClosed()) {
            ws.close(CloseCodes.GOING_AWAY, "gateway shutting down; reconnect");
        }
    }

    int subscriptionCount() {
        return subscriptions.size();
    }

    private void onMessage(String text) {
        in.increment();
        CallScope scope = new CallScope();
        inFlight.add(scope);
        gateway.handle(pool, text.getBytes(StandardCharsets.UTF_8), client, apiKey, scope, null, RequestId.next(), this)
                .onComplete(done -> {
                    inFlight.remove(scope);
                    if (done.succeeded()) {
                        reply(done.result());
                    } else {
                        LOG.errorf(done.cause(), "WebSocket message of %s on %s failed", client, pool.network());
                        send(RpcAnswer.error(RpcErrorCode.INTERNAL_ERROR, "internal error").toBuffer(RpcAnswer.NULL));
                    }
                });
    }

    private void reply(GatewayReply reply) {
        if (reply.answer() != null) {
            send(reply.answer().toBuffer(reply.answerId()));
        } else if (reply.body() != null) {
            send(reply.body());
        }
    }

    private void send(Buffer message) {
        send(message.toString(StandardCharsets.UTF_8));
    }

    /**
     * Writes one message unless the client's backlog is past the bound: a client that does not read is closed
     * (1008) rather than buffered for without end.
     */
    private void send(String message) {
        if (mayWrite()) {
            out.increment();
            ws.writeTextMessage(message);
        }
    }

    /** As {@link #send(String)}, for a message already in UTF-8: one text frame. */
    private void sendText(ByteBuf utf8) {
        if (mayWrite()) {
            out.increment();
            ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, utf8, true));
        } else {
            utf8.release();
        }
    }

    private boolean mayWrite() {
        if (closed || ws.isClosed()) {
            return false;
        }
        if (ws.writeQueueFull()) {
            closed = true;
            slowConsumerClosed.run();
            LOG.infof("WebSocket of %s on %s closed: it did not read %d bytes sent to it (railyard.websocket.max-pending-bytes)",
                    client, pool.network(), limits.maxPendingBytes());
            ws.close(CloseCodes.POLICY_VIOLATION, "slow consumer: messages not read");
            return false;
        }
        return true;
    }

    @Override
    public Future<RpcAnswer> subscribe(RpcCall call) {
        JsonArray params;
        try {
            Object decoded = call.request().params() == null ? null : Json.decodeValue(call.request().paramsText());
            params = decoded instanceof JsonArray a ? a : null;
        } catch (DecodeException e) {
            params = null;
        }
        if (params == null || params.isEmpty() || !(params.getValue(0) instanceof String name)) {
            return invalid(call, "eth_subscribe takes [kind] or [\"logs\", filter]; kinds: newHeads, logs, newPendingTransactions");
        }
        SubscriptionKind kind = SubscriptionKind.named(name);
        if (kind == null) {
            return invalid(call, "no '" + shown(name) + "' subscription; kinds served: newHeads, logs, newPendingTransactions");
        }
        LogFilter filter = null;
        if (kind == SubscriptionKind.LOGS) {
            try {
                filter = LogFilter.parse(params.size() > 1 ? params.getValue(1) : null);
            } catch (LogFilter.Invalid e) {
                return invalid(call, e.getMessage());
            }
        } else if (params.size() > 1) {
            return invalid(call, name + " takes no filter");
        }
        if (subscriptions.size() >= limits.maxSubscriptions()) {
            return Future.succeededFuture(RpcAnswer.error(RpcErrorCode.TOO_MANY_SUBSCRIPTIONS, "this connection holds "
                    + limits.maxSubscriptions() + " subscriptions already (railyard.websocket.max-subscriptions-per-connection);"
                    + " eth_unsubscribe one first", call.requestId()));
        }
        WsSubscription subscription = new WsSubscription(newId(), kind, filter);
        subscriptions.put(subscription.id, subscription);
        streams.subscribe(pool.network(), subscription);
        return Future.succeededFuture(RpcAnswer.result(("\"" + subscription.id + "\"").getBytes(StandardCharsets.US_ASCII)));
    }

    @Override
    public Future<RpcAnswer> unsubscribe(RpcCall call) {
        String id = null;
        try {
            Object decoded = call.request().params() == null ? null : Json.decodeValue(call.request().paramsText());
            if (decoded instanceof JsonArray a && a.size() == 1 && a.getValue(0) instanceof String s) {
                id = s;
            }
        } catch (DecodeException e) {
            // answered below
        }
        if (id == null) {
            return invalid(call, "eth_unsubscribe takes [subscriptionId]");
        }
        WsSubscription gone = subscriptions.remove(id);
        if (gone != null) {
            streams.unsubscribe(pool.network(), gone);
        }
        return Future.succeededFuture(RpcAnswer.result((gone != null ? "true" : "false").getBytes(StandardCharsets.US_ASCII)));
    }

    private static Future<RpcAnswer> invalid(RpcCall call, String message) {
        return Future.succeededFuture(RpcAnswer.error(RpcErrorCode.INVALID_PARAMS, message, call.requestId()));
    }

    private static String shown(String name) {
        return name.length() > 40 ? name.substring(0, 40) + "..." : name.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** A subscription id as geth makes them: 16 random bytes in hex. */
    private static String newId() {
        byte[] id = new byte[16];
        ThreadLocalRandom.current().nextBytes(id);
        return "0x" + HexFormat.of().formatHex(id);
    }

    /** One subscription of this connection, as its stream sees it. */
    private final class WsSubscription implements Subscriber {
        final String id;
        final SubscriptionKind kind;
        final LogFilter filter;
        private final String prefix;
        /** The message up to its result, as bytes: each notification is these, the shared result and {@code }}}. */
        private final byte[] resultPrefix;

        WsSubscription(String id, SubscriptionKind kind, LogFilter filter) {
            this.id = id;
            this.kind = kind;
            this.filter = filter;
            this.prefix = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":\"" + id + "\",";
            this.resultPrefix = (prefix + "\"result\":").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public SubscriptionKind kind() {
            return kind;
        }

        @Override
        public LogFilter filter() {
            return filter;
        }

        @Override
        public Context loop() {
            return loop;
        }

        @Override
        public void deliver(Notification result) {
            // The three parts wrapped, not copied: the result's bytes are the ones every subscriber gets.
            sendText(Unpooled.wrappedBuffer(resultPrefix, result.utf8(), MESSAGE_END));
        }

        @Override
        public void end(String reason) {
            subscriptions.remove(id);
            send(prefix + "\"error\":" + new String(RpcAnswer.error(RpcErrorCode.REORG_TOO_DEEP, reason).error(), StandardCharsets.UTF_8) + "}}");
        }
    }
}
