package io.railyard.edge.ws;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.railyard.config.RailyardConfig;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The main port's WebSocket limits: a message (and each of its frames) may be at most
 * {@code railyard.websocket.max-message-bytes}; Vert.x closes a connection that sends a larger one with 1009.
 */
@ApplicationScoped
public class WsServerOptions implements HttpServerOptionsCustomizer {

    @Inject
    RailyardConfig config;

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        limit(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        limit(options);
    }

    private void limit(HttpServerOptions options) {
        int max = config.websocket().maxMessageBytes();
        options.setMaxWebSocketMessageSize(max).setMaxWebSocketFrameSize(max);
    }
}
