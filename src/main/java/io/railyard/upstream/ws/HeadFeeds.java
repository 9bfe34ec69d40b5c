package io.railyard.upstream.ws;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.railyard.config.RailyardConfig;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ObjLongConsumer;

/**
 * The upstreams' own new-heads subscriptions (one per upstream, {@code subscriptions.upstream-heads}): what tells
 * the gateway of a new block within milliseconds. Listeners (the subscription streams) hear of every head announced.
 */
@ApplicationScoped
public class HeadFeeds {

    /** The most an upstream's head message may be; a header is a few KB. */
    private static final int MAX_MESSAGE_BYTES = 1 << 20;

    @Inject
    RailyardConfig config;

    @Inject
    UpstreamPools pools;

    @Inject
    Vertx vertx;

    private final Map<Upstream, HeadFeed> feeds = new ConcurrentHashMap<>();
    private final List<ObjLongConsumer<Upstream>> listeners = new CopyOnWriteArrayList<>();

    void start(@Observes StartupEvent event) {
        if (!config.subscriptions().upstreamHeads()) {
            return;
        }
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                .setMaxFrameSize(MAX_MESSAGE_BYTES).setMaxMessageSize(MAX_MESSAGE_BYTES).setConnectTimeout(5000));
        Context context = vertx.getOrCreateContext();
        for (UpstreamPool pool : pools.all().values()) {
            for (Upstream upstream : pool.upstreams()) {
                URI url = wsUrl(pool.network(), upstream);
                if (url == null) {
                    continue;
                }
                HeadFeed feed = new HeadFeed(upstream, url, vertx, client, this::announce);
                feeds.put(upstream, feed);
                context.runOnContext(v -> feed.start());
            }
        }
    }

    void stop(@Observes ShutdownEvent event) {
        new ArrayList<>(feeds.values()).forEach(HeadFeed::stop);
    }

    /** Tells {@code listener} of every head an upstream announces over its socket. */
    public void onHead(ObjLongConsumer<Upstream> listener) {
        listeners.add(listener);
    }

    /** Whether {@code upstream}'s heads arrive over its WebSocket now. */
    public boolean isLive(Upstream upstream) {
        HeadFeed feed = feeds.get(upstream);
        return feed != null && feed.isLive();
    }

    /**
     * A healthy node announced a block: it is the network's head from now on (as when an answer shows it), unless it
     * is implausibly far past what the network elected; then listeners hear of it.
     */
    private void announce(Upstream upstream, long head) {
        UpstreamPool pool = pools.pool(upstream.network());
        if (pool != null && upstream.isHealthy() && pool.plausibleHead(head)) {
            pool.raiseServedHead(head);
        }
        for (ObjLongConsumer<Upstream> listener : listeners) {
            listener.accept(upstream, head);
        }
    }

    /** The configured {@code ws-url}, else {@code url} with ws/wss for http/https. */
    private URI wsUrl(String network, Upstream upstream) {
        RailyardConfig.NetworkConfig configured = config.networks().get(network);
        RailyardConfig.UpstreamConfig own = configured == null ? null : configured.upstreams().get(upstream.name());
        if (own != null && own.wsUrl().isPresent()) {
            return URI.create(own.wsUrl().get().trim());
        }
        URI http = upstream.url();
        String scheme = "https".equalsIgnoreCase(http.getScheme()) ? "wss" : "http".equalsIgnoreCase(http.getScheme()) ? "ws" : null;
        if (scheme == null) {
            return null;
        }
        return URI.create(scheme + http.toString().substring(http.getScheme().length()));
    }
}
