package io.railyard.health;

import io.railyard.config.RailyardConfig;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * On the RPC port the operator's paths are simply not there: {@code 404} for {@code /q/metrics}, {@code /q/health*}
 * and {@code /status} (unless {@code railyard.status.public}), whatever the method, instead of the {@code 405} the
 * JSON-RPC routes ({@code /{network}/{apiKey}}) would give a GET. They are served on the management port.
 */
@ApplicationScoped
public class OperatorPaths {

    @Inject
    RailyardConfig config;

    void routes(@Observes Router router) {
        String paths = config.status().publicPage() ? "^/q/(metrics|health)(/.*)?$" : "^/q/(metrics|health)(/.*)?$|^/status/?$";
        router.routeWithRegex(paths).order(-100).handler(ctx -> ctx.response().setStatusCode(404).end());
    }
}
