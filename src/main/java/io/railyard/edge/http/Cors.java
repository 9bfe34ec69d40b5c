package io.railyard.edge.http;

import io.quarkus.vertx.http.ManagementInterface;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.railyard.access.ApiKey;
import io.railyard.access.ClientPolicy;
import io.railyard.config.AllowedOrigins;
import io.railyard.config.RailyardConfig;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.metrics.Meters;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * CORS for browser dApps ({@code railyard.cors.*}): answers preflights on the JSON-RPC paths before anything else
 * runs (no authentication, no quota, no node), puts the {@code Access-Control-*} headers on every answer those paths
 * give, refuses a request whose API key does not allow the page's origin, and lets {@code /status} and
 * {@code /q/health} be read from allowed origins, on the main router or the management interface's.
 *
 * <p>Its own routes, ordered before every other route of ours, so {@link RpcRoutes} knows nothing of it. Vert.x
 * Web's {@code CorsHandler} is not used: it knows one origin list for all paths (here each network has its own and
 * each API key narrows it), takes patterns as regular expressions rather than {@code https://*.example.org}, and
 * neither counts nor logs refusals. {@code Access-Control-Allow-Credentials} is never sent: JSON-RPC carries no
 * cookies, and without it a page can never make the browser send its user's credentials here.
 */
@ApplicationScoped
public class Cors {

    private static final Logger LOG = Logger.getLogger(Cors.class);

    /** Right after Quarkus's own header and body handlers, before every route of ours (those keep insertion order). */
    static final int READ_ORDER = RouteConstants.ROUTE_ORDER_BODY_HANDLER + 1;
    /** After the read-only paths' route: {@code OPTIONS /status} also matches {@code /:network}. */
    static final int RPC_ORDER = READ_ORDER + 1;
    static final List<String> RPC_PATHS = List.of("/", "/:network", "/:network/:apiKey");
    static final List<String> DEFAULT_ALLOWED_HEADERS = List.of("content-type", "x-api-key", "authorization");
    private static final CharSequence RPC_METHODS = HttpHeaders.createOptimized("POST, OPTIONS");
    private static final CharSequence READ_METHODS = HttpHeaders.createOptimized("GET, OPTIONS");
    private static final CharSequence ORIGIN = HttpHeaders.createOptimized("Origin");
    private static final CharSequence ANY = HttpHeaders.createOptimized("*");
    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
    private static final String GLOBAL_KEY = "railyard.cors.allowed-origins";
    /** Longest piece of a refused origin put in a log line or an error message. */
    private static final int SHOWN_CHARACTERS = 80;

    @Inject
    RailyardConfig config;

    @Inject
    UpstreamPools pools;

    @Inject
    ClientPolicy policy;

    @Inject
    Meters meters;

    @Inject
    ConnectionDeadlines deadlines;

    @Inject
    Clock clock;

    @ConfigProperty(name = "quarkus.http.non-application-root-path", defaultValue = "q")
    String nonApplicationRoot;

    @ConfigProperty(name = "quarkus.management.root-path", defaultValue = "q")
    String managementRoot;

    /**
     * The origins a path's network allows.
     *
     * @param network the configured network, or null for a path that names none (no metric series for it)
     * @param source  the key the list comes from, for the log
     */
    private record Rules(String network, AllowedOrigins origins, String source) {
    }

    private boolean enabled;
    private Rules global;
    private Rules defaultNetwork;
    /** Whether every network allows any origin: then a request without an {@code Origin} needs nothing at all. */
    private boolean anyEverywhere;
    private final Map<String, Rules> byNetwork = new HashMap<>();
    private final Map<String, AllowedOrigins> byKey = new HashMap<>();
    private CharSequence allowHeaders;
    private CharSequence exposeHeaders;
    private CharSequence maxAge;
    private RefusalLog refusals;

    @PostConstruct
    void init() {
        // The pools validate the whole configuration first, so every list parsed below is well-formed.
        Map<String, UpstreamPool> networks = pools.all();
        RailyardConfig.CorsConfig cors = config.cors();
        enabled = cors.enabled();
        global = new Rules(null, AllowedOrigins.of(cors.allowedOrigins()), GLOBAL_KEY);
        anyEverywhere = global.origins().allowsAny();
        for (String network : networks.keySet()) {
            RailyardConfig.NetworkConfig configured = config.networks().get(network);
            Optional<List<String>> own = configured == null ? Optional.empty() : configured.cors().allowedOrigins();
            Rules rules = own.isPresent()
                    ? new Rules(network, AllowedOrigins.of(own.get()), "railyard.networks." + network + ".cors.allowed-origins")
                    : new Rules(network, global.origins(), GLOBAL_KEY);
            byNetwork.put(network, rules);
            anyEverywhere &= rules.origins().allowsAny();
        }
        UpstreamPool defaultPool = pools.defaultPool();
        defaultNetwork = defaultPool == null ? global : byNetwork.get(defaultPool.network());
        config.apiKeys().forEach((name, key) -> key.allowedOrigins().ifPresent(list -> byKey.put(name, AllowedOrigins.of(list))));
        Set<String> headers = new LinkedHashSet<>(DEFAULT_ALLOWED_HEADERS);
        cors.allowedHeaders().ifPresent(extra -> extra.forEach(h -> headers.add(h.trim().toLowerCase(Locale.ROOT))));
        allowHeaders = HttpHeaders.createOptimized(String.join(", ", headers));
        exposeHeaders = HttpHeaders.createOptimized(String.join(", ", cors.exposedHeaders().stream().map(String::trim).toList()));
        maxAge = HttpHeaders.createOptimized(Long.toString(cors.maxAge().toSeconds()));
        refusals = new RefusalLog(clock::millis);
    }

    void routes(@Observes Router router) {
        if (enabled) {
            readRoutes(router, nonApplicationRoot, this::readRoute);
            for (String path : RPC_PATHS) {
                router.options(path).order(RPC_ORDER).handler(this::rpcPreflight);
            }
        }
        // Per-key origin lists apply even with CORS off: a cross-origin POST of text/plain needs no preflight, and
        // the key's quota must not pay for another site's page.
        if (enabled || !byKey.isEmpty()) {
            for (String path : RPC_PATHS) {
                router.post(path).order(RPC_ORDER).handler(this::rpcAnswer);
            }
        }
    }

    /** Where {@code /status} and {@code /q/health} are served once they live on the management port. */
    void managementRoutes(@Observes ManagementInterface management) {
        if (enabled) {
            readRoutes(management.router(), managementRoot, this::readRoute);
        } else {
            // Off means off there too: take back the "*" that Quarkus's own handler puts on every management answer.
            readRoutes(management.router(), managementRoot, ctx -> {
                ctx.response().headers().remove(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
                ctx.next();
            });
        }
    }

    private void readRoute(RoutingContext ctx) {
        if (ctx.request().method() == HttpMethod.OPTIONS) {
            preflight(ctx, global, READ_METHODS);
        } else {
            allowRead(ctx);
            ctx.next();
        }
    }

    private static void readRoutes(Router router, String root, io.vertx.core.Handler<RoutingContext> handler) {
        String base = "/" + root.replaceAll("^/+|/+$", "");
        for (String path : List.of("/status", base + "/health*")) {
            router.route(path).order(READ_ORDER).handler(handler);
        }
    }

    /**
     * Lets a page on an allowed origin read this answer: the CORS headers of a read-only endpoint ({@code /status},
     * health), by {@code railyard.cors.allowed-origins}. For any other route that browsers should read.
     */
    public void allowRead(RoutingContext ctx) {
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        if (origin == null) {
            return;
        }
        boolean allowed = global.origins().allows(origin);
        answerHeaders(ctx.response().headers(), global, origin, allowed);
        if (!allowed) {
            refused(global, origin, global.source());
            // Quarkus 3.33 puts a CorsHandler allowing "*" on the management interface, before every route and with
            // no configuration of its own: the list decides who may read, so its "*" goes for a refused origin.
            ctx.response().headers().remove(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
        }
    }

    private Rules rules(RoutingContext ctx) {
        String network = ctx.pathParam("network");
        if (network == null) {
            return defaultNetwork;
        }
        Rules rules = byNetwork.get(network);
        return rules != null ? rules : global;
    }

    private void rpcPreflight(RoutingContext ctx) {
        // A browser's first request on a connection is often this preflight: its POSTs follow on the same connection,
        // which may idle between them like any kept-alive one.
        deadlines.onRequest(ctx.request());
        preflight(ctx, rules(ctx), RPC_METHODS);
    }

    /**
     * 204 with what the browser may send, or 403 without {@code Access-Control-Allow-Origin} for an origin that is
     * not allowed. An {@code OPTIONS} without {@code Origin} is no preflight; it learns the methods.
     */
    private void preflight(RoutingContext ctx, Rules rules, CharSequence methods) {
        HttpServerResponse response = ctx.response();
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        if (origin == null) {
            response.putHeader(HttpHeaders.ALLOW, methods).setStatusCode(204).end();
            return;
        }
        response.putHeader(HttpHeaders.VARY, ORIGIN);
        if (!rules.origins().allows(origin)) {
            refused(rules, origin, rules.source());
            response.setStatusCode(403).end();
            return;
        }
        response.putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, rules.origins().allowsAny() ? ANY : origin)
                .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, methods)
                .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, allowHeaders)
                .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, maxAge)
                .setStatusCode(204)
                .end();
    }

    /**
     * Before the request is read: the CORS headers go on the response now, so that whatever answers later (a result,
     * a JSON-RPC error, 401, 404, 408, 413, 429, 503) carries them; then the API key's own origin list.
     */
    private void rpcAnswer(RoutingContext ctx) {
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        if (origin == null) {
            // Not from a browser, or a same-origin GET-like request: only caches need telling that the answer varies.
            if (enabled && !anyEverywhere && !rules(ctx).origins().allowsAny()) {
                ctx.response().headers().set(HttpHeaders.VARY, ORIGIN);
            }
            ctx.next();
            return;
        }
        Rules rules = rules(ctx);
        boolean allowed = rules.origins().allows(origin);
        if (enabled) {
            answerHeaders(ctx.response().headers(), rules, origin, allowed);
        }
        ApiKey limitedKey = byKey.isEmpty() ? null : keyRefusing(ctx, origin);
        if (limitedKey != null) {
            // One refusal, counted once, whichever lists refused the origin: the key's is the one the page reads.
            forbidden(ctx, rules, origin, limitedKey);
            return;
        }
        if (enabled && !allowed) {
            refused(rules, origin, rules.source());
        }
        ctx.next();
    }

    /**
     * Whether a WebSocket upgrade may proceed from its {@code Origin}: browsers send no preflight for a socket and let
     * any page open one, so the origin rules are applied here, as to a request: the network's list (while CORS is
     * on) and the API key's own list. Returns null when allowed, else the refusal for the client (counted and logged
     * as any CORS refusal). A client that sends no {@code Origin} is not a browser page and is not refused.
     */
    public String upgradeRefusal(RoutingContext ctx) {
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        if (origin == null) {
            return null;
        }
        Rules rules = rules(ctx);
        ApiKey key = byKey.isEmpty() ? null : keyRefusing(ctx, origin);
        if (key != null) {
            String source = "railyard.api-keys." + key.name() + ".allowed-origins";
            refused(rules, origin, source);
            return "Origin not allowed: API key '" + key.name() + "' may not be used from " + shown(origin) + " (" + source + ")";
        }
        if (enabled && !rules.origins().allows(origin)) {
            refused(rules, origin, rules.source());
            return "Origin not allowed: " + shown(origin) + " may not open a WebSocket here (" + rules.source() + ")";
        }
        return null;
    }

    private void answerHeaders(MultiMap headers, Rules rules, String origin, boolean allowed) {
        headers.set(HttpHeaders.VARY, ORIGIN);
        if (allowed) {
            headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, rules.origins().allowsAny() ? ANY : origin);
            headers.set(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, exposeHeaders);
        }
    }

    /** The request's API key when its own origin list refuses this origin, else null. */
    private ApiKey keyRefusing(RoutingContext ctx, String origin) {
        String secret = ctx.pathParam("apiKey");
        if (secret == null) {
            secret = ctx.request().getHeader("X-Api-Key");
        }
        if (secret == null || secret.isEmpty()) {
            return null;
        }
        ApiKey key = policy.key(secret);
        AllowedOrigins allowed = key == null ? null : byKey.get(key.name());
        return allowed == null || allowed.allows(origin) ? null : key;
    }

    /** 403 with a JSON-RPC error naming the origin and the key's list. */
    private void forbidden(RoutingContext ctx, Rules rules, String origin, ApiKey key) {
        String source = "railyard.api-keys." + key.name() + ".allowed-origins";
        refused(rules, origin, source);
        RpcAnswer error = RpcAnswer.error(RpcErrorCode.ORIGIN_NOT_ALLOWED, "Origin not allowed: API key '" + key.name()
                + "' may not be used from " + shown(origin) + " (" + source + ")");
        // The body is not read: the connection cannot carry another request.
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close")
                .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
                .setStatusCode(RpcErrorCode.ORIGIN_NOT_ALLOWED.httpStatus())
                .end(error.toBuffer(RpcAnswer.NULL));
    }

    private void refused(Rules rules, String origin, String source) {
        if (rules.network() != null) {
            meters.corsRefused(rules.network());
        }
        String shown = shown(origin);
        if (refusals.shouldLog(shown)) {
            LOG.infof("CORS: refused origin %s%s: not in %s (counted in railyard_cors_refused_total; logged once a minute per origin)",
                    shown, rules.network() == null ? "" : " on network " + rules.network(), source);
        }
    }

    /** An origin as it may be shown: printable ASCII, and short, whatever the client sent. */
    static String shown(String origin) {
        StringBuilder out = new StringBuilder(Math.min(origin.length(), SHOWN_CHARACTERS) + 24);
        for (int i = 0; i < origin.length() && i < SHOWN_CHARACTERS; i++) {
            char c = origin.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (origin.length() > SHOWN_CHARACTERS) {
            out.append("...(").append(origin.length()).append(" chars)");
        }
        return "'" + out + "'";
    }
}
