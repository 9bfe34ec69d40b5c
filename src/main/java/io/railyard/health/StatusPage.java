package io.railyard.health;

import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.quarkus.vertx.http.ManagementInterface;
import io.railyard.config.RailyardConfig;
import io.railyard.metrics.Meters;
import io.railyard.upstream.Redact;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.railyard.upstream.UpstreamStats;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.railyard.subscription.HeadStream;
import io.railyard.subscription.HeadStreams;
import io.railyard.subscription.SubscriptionKind;
import io.railyard.upstream.ws.HeadFeeds;

import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /status}: every network's upstreams with state, head, lag, finalized block, latency, in-flight calls,
 * error rate and last error. JSON, or a self-refreshing HTML page for a browser (same data). Served on the
 * management port; with {@code railyard.status.public} a redacted copy (names, states and heads only) is also
 * served on the RPC port.
 */
@ApplicationScoped
public class StatusPage {

    @Inject
    UpstreamPools pools;

    @Inject
    Meters meters;

    @Inject
    RailyardConfig config;

    @Inject
    HeadStreams streams;

    @Inject
    HeadFeeds feeds;

    @Inject
    java.time.Clock clock;

    void managementRoutes(@Observes ManagementInterface management) {
        management.router().get("/status").handler(ctx -> serve(ctx, snapshot()));
    }

    void publicRoutes(@Observes Router router) {
        if (config.status().publicPage()) {
            router.get("/status").handler(ctx -> serve(ctx, redacted(snapshot())));
        }
    }

    private static void serve(RoutingContext ctx, JsonObject status) {
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        if (accept != null && accept.contains("text/html")) {
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8").end(StatusHtml.render(status));
        } else {
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(status.encodePrettily());
        }
    }

    public JsonObject snapshot() {
        JsonObject networks = new JsonObject();
        for (UpstreamPool pool : pools.all().values()) {
            JsonArray upstreams = new JsonArray();
            int healthy = 0;
            for (Upstream u : pool.upstreams()) {
                healthy += u.isHealthy() ? 1 : 0;
                upstreams.add(upstream(pool, u));
            }
            networks.put(pool.network(), new JsonObject()
                    .put("chainId", pool.chainId())
                    .put("routing", pool.routing())
                    .put("head", pool.bestHead())
                    .put("servedHead", pool.servedHead())
                    .put("finalized", pool.finalized())
                    .put("panic", pool.inPanic())
                    .put("healthyUpstreams", healthy)
                    .put("subscriptions", subscriptions(pool))
                    .put("upstreams", upstreams));
        }
        return new JsonObject().put("time", clock.instant().toString()).put("networks", networks);
    }

    /** The fields of each upstream that the public copy keeps: nothing that says where a node is or what went wrong. */
    private static final java.util.List<String> PUBLIC_UPSTREAM_FIELDS = java.util.List.of("name", "state", "since", "head", "lag", "finalized");

    /** The public copy of {@link #snapshot()}: networks with their heads, upstreams with names, states and heads. */
    static JsonObject redacted(JsonObject full) {
        JsonObject networks = new JsonObject();
        JsonObject all = full.getJsonObject("networks");
        for (String name : all.fieldNames()) {
            JsonObject net = all.getJsonObject(name);
            JsonArray upstreams = new JsonArray();
            for (Object o : net.getJsonArray("upstreams")) {
                JsonObject u = (JsonObject) o;
                JsonObject kept = new JsonObject();
                PUBLIC_UPSTREAM_FIELDS.forEach(field -> kept.put(field, u.getValue(field)));
                upstreams.add(kept);
            }
            networks.put(name, net.copy().put("upstreams", upstreams));
        }
        return new JsonObject().put("time", full.getString("time")).put("networks", networks);
    }

    /**
     * The network's subscription stream: subscribers by kind, the last block delivered, and the upstreams whose own
     * new-heads announcements feed it now (the others, and any gap, are covered by polling).
     */
    private JsonObject subscriptions(UpstreamPool pool) {
        HeadStream stream = streams.of(pool.network());
        JsonArray fedBy = new JsonArray();
        for (Upstream u : pool.upstreams()) {
            if (feeds.isLive(u)) {
                fedBy.add(u.name());
            }
        }
        JsonObject out = new JsonObject();
        if (stream != null) {
            out.put(SubscriptionKind.NEW_HEADS.wireName(), stream.count(SubscriptionKind.NEW_HEADS))
                    .put(SubscriptionKind.LOGS.wireName(), stream.count(SubscriptionKind.LOGS))
                    .put(SubscriptionKind.NEW_PENDING_TRANSACTIONS.wireName(), streams.pendingCount(pool.network()))
                    .put("lastBlock", stream.lastDelivered());
        }
        return out.put("fedBy", fedBy).put("pollInterval", config.subscriptions().pollInterval().toString());
    }

    private JsonObject upstream(UpstreamPool pool, Upstream u) {
        UpstreamStats stats = u.stats();
        long lag = pool.lag(u);
        double ewma = stats.latencyEwmaMillis();
        double p99 = Double.NaN;
        for (ValueAtPercentile v : meters.upstreamTimer(u.network(), u.name()).takeSnapshot().percentileValues()) {
            if (v.percentile() == 0.99) {
                p99 = v.value(TimeUnit.MILLISECONDS);
            }
        }
        return new JsonObject()
                .put("name", u.name())
                .put("url", u.displayUrl())
                .put("weight", u.weight())
                .put("state", u.isHealthy() ? "healthy" : pool.panicUpstreams().contains(u) ? "panic" : "ejected")
                .put("reason", Redact.urls(u.stateReason()))
                .put("since", Instant.ofEpochMilli(u.stateSinceMillis()).toString())
                .put("head", u.head())
                .put("headFeed", feeds.isLive(u) ? "websocket" : "polling")
                .put("lag", lag < 0 ? null : lag)
                .put("finalized", u.finalized())
                .put("latencyEwmaMs", Double.isNaN(ewma) ? null : round(ewma))
                .put("latencyP99Ms", Double.isNaN(p99) || p99 == 0 ? null : round(p99))
                .put("inFlight", u.inFlight())
                .put("errorRate", round(stats.errorRate()))
                .put("circuitBreaker", u.breaker().state().name().toLowerCase(Locale.ROOT))
                .put("lastError", Redact.urls(stats.lastError()))
                .put("lastErrorAt", stats.lastError() == null ? null : Instant.ofEpochMilli(stats.lastErrorMillis()).toString());
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
