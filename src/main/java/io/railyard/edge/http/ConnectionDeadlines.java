package io.railyard.edge.http;

import com.github.benmanes.caffeine.cache.Ticker;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.railyard.config.RailyardConfig;
import io.railyard.metrics.Meters;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The main port's connection timers: a new connection has {@code railyard.limits.header-read-timeout} to send its
 * first request head (Vert.x's idle timer, set to that), and from its first request on {@link HeadDeadline} gives
 * each head that long from its first byte and the idle time between requests {@code quarkus.http.idle-timeout}.
 */
@ApplicationScoped
public class ConnectionDeadlines implements HttpServerOptionsCustomizer {

    @Inject
    RailyardConfig config;

    @Inject
    Meters meters;

    @Inject
    Ticker ticker;

    @ConfigProperty(name = "quarkus.http.idle-timeout", defaultValue = "30M")
    Duration idleTimeout;

    private long headerMs;
    private long idleMs;
    private Runnable counted;

    @PostConstruct
    void init() {
        // 0 in Quarkus's key means no idle timeout is enforced.
        idleMs = idleTimeout.isZero() || idleTimeout.isNegative() ? Long.MAX_VALUE / 4 : idleTimeout.toMillis();
        // A head is never given longer than the connection may idle.
        headerMs = Math.min(config.limits().headerReadTimeout().toMillis(), idleMs);
        counted = () -> meters.clientTimeout("head");
        meters.declareClientTimeouts();
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        firstHeadWithinDeadline(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        firstHeadWithinDeadline(options);
    }

    private void firstHeadWithinDeadline(HttpServerOptions options) {
        options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setIdleTimeout((int) Math.max(1, headerMs));
    }

    /**
     * Puts the head deadline on the request's connection (once per connection; called before the request is
     * answered, so before its next head can begin). A connection never given it, because none of its requests
     * reached the JSON-RPC routes, keeps Vert.x's timer: its heads keep the deadline, its idle time is that short too.
     */
    void onRequest(HttpServerRequest request) {
        HeadDeadline.install(request, headerMs, idleMs, ticker::read, counted);
    }
}
