package io.railyard.upstream.ws;

import io.railyard.upstream.Upstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.net.URI;
import java.util.function.ObjLongConsumer;

/**
 * One upstream's {@code eth_subscribe("newHeads")} over its WebSocket: each head it announces raises what the gateway
 * knows of the node's head and is passed on (the network's subscription stream steps at once). When the socket
 * cannot be opened, or drops, it is opened again after a back-off (1 s, doubling to 30 s); meanwhile the node is
 * followed by polling, as an HTTP-only node always is. Runs on one event loop; never on a request's path.
 */
final class HeadFeed {

    private static final Logger LOG = Logger.getLogger(HeadFeed.class);
    private static final long FIRST_RETRY_MS = 1000;
    private static final long LAST_RETRY_MS = 30_000;
    private static final String SUBSCRIBE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}";

    private final Upstream upstream;
    private final URI url;
    private final Vertx vertx;
    private final WebSocketClient client;
    private final ObjLongConsumer<Upstream> onHead;
    private long retryMs = FIRST_RETRY_MS;
    private WebSocket socket;
    private volatile boolean live;
    private boolean stopped;
    /** Whether the last attempt's outcome was logged, so that an unreachable socket is logged once, not every retry. */
    private boolean failureLogged;

    HeadFeed(Upstream upstream, URI url, Vertx vertx, WebSocketClient client, ObjLongConsumer<Upstream> onHead) {
        this.upstream = upstream;
        this.url = url;
        this.vertx = vertx;
        this.client = client;
        this.onHead = onHead;
    }

    /** Whether the upstream's heads arrive over its socket now (else it is followed by polling). */
    boolean isLive() {
        return live;
    }

    URI url() {
        return url;
    }

    void start() {
        boolean tls = "wss".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(url.getHost()).setPort(port).setSsl(tls)
                .setURI(path).setAllowOriginHeader(false);
        upstream.headers().forEach(options::addHeader);
        client.connect(options).onComplete(opened -> {
            if (stopped) {
                if (opened.succeeded()) {
                    opened.result().close();
                }
                return;
            }
            if (opened.failed()) {
                if (!failureLogged) {
                    failureLogged = true;
                    LOG.infof("%s/%s: no WebSocket at %s (%s); followed by polling, trying again from time to time",
                            upstream.network(), upstream.name(), shown(), opened.cause().getMessage());
                }
                retryLater();
                return;
            }
            socket = opened.result();
            socket.textMessageHandler(this::onMessage);
            socket.closeHandler(v -> {
                boolean was = live;
                live = false;
                socket = null;
                if (was) {
                    LOG.infof("%s/%s: WebSocket closed; followed by polling until it is back", upstream.network(), upstream.name());
                }
                retryLater();
            });
            socket.exceptionHandler(e -> LOG.debugf("%s/%s WebSocket: %s", upstream.network(), upstream.name(), e.getMessage()));
            socket.writeTextMessage(SUBSCRIBE);
        });
    }

    private void onMessage(String text) {
        JsonObject message;
        try {
            message = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            return;
        }
        if ("eth_subscription".equals(message.getString("method"))) {
            JsonObject params = message.getJsonObject("params");
            Object result = params == null ? null : params.getValue("result");
            String number = result instanceof JsonObject head ? head.getString("number") : null;
            if (number != null && number.startsWith("0x")) {
                try {
                    long n = Long.parseLong(number.substring(2), 16);
                    retryMs = FIRST_RETRY_MS;
                    upstream.raiseHead(n);
                    onHead.accept(upstream, n);
                } catch (NumberFormatException e) {
                    // not a head: ignored
                }
            }
            return;
        }
        if (Integer.valueOf(1).equals(message.getValue("id"))) {
            if (message.containsKey("error")) {
                LOG.infof("%s/%s: the node refuses eth_subscribe(newHeads) over %s (%s); followed by polling",
                        upstream.network(), upstream.name(), shown(), message.getValue("error"));
                stopped = true;
                socket.close();
                return;
            }
            live = true;
            failureLogged = false;
            LOG.infof("%s/%s: following new heads over %s", upstream.network(), upstream.name(), shown());
        }
    }

    private void retryLater() {
        if (stopped) {
            return;
        }
        long delay = retryMs;
        retryMs = Math.min(LAST_RETRY_MS, retryMs * 2);
        vertx.setTimer(delay, t -> {
            if (!stopped) {
                start();
            }
        });
    }

    void stop() {
        stopped = true;
        live = false;
        if (socket != null) {
            socket.close();
        }
    }

    /** The URL without credentials or query (a provider's key often sits in either). */
    private String shown() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "");
    }
}
