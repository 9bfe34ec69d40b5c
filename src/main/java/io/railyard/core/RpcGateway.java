package io.railyard.core;

import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.access.ApiKey;
import io.railyard.access.ClientIdentity;
import io.railyard.access.ClientPolicy;
import io.railyard.access.limit.Decision;
import io.railyard.access.limit.Limit;
import io.railyard.cache.ResponseCache;
import io.railyard.config.HeapShares;
import io.railyard.config.RailyardConfig;
import io.railyard.core.pipeline.AccessRecord;
import io.railyard.core.pipeline.BatchGroup;
import io.railyard.core.pipeline.Deadline;
import io.railyard.core.pipeline.Pipeline;
import io.railyard.core.pipeline.RequestId;
import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.RpcInterceptor;
import io.railyard.core.pipeline.Session;
import io.railyard.core.stages.Broadcast;
import io.railyard.core.stages.CacheInterceptor;
import io.railyard.core.stages.Forwarder;
import io.railyard.core.stages.HeadGuard;
import io.railyard.core.stages.MethodPolicy;
import io.railyard.core.stages.SubscriptionCalls;
import io.railyard.core.stages.UpstreamCalls;
import io.railyard.evm.MethodCatalog;
import io.railyard.evm.MethodSpec;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcBody;
import io.railyard.jsonrpc.RpcCodec;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.jsonrpc.RpcItem;
import io.railyard.jsonrpc.RpcRequest;
import io.railyard.memory.HeapGuard;
import io.railyard.metrics.Meters;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one client body into its answer: decodes it, runs every request through the pipeline (method policy →
 * cache → head guard → broadcast → forward), and writes the answers in request order, each with the client's own id.
 */
@ApplicationScoped
public class RpcGateway {

    private static final Logger LOG = Logger.getLogger(RpcGateway.class);
    /** Who the gateway's own calls (a subscription stream's) are from: no key, no limits, routed like any client. */
    private static final ClientIdentity ITSELF = new ClientIdentity("railyard", null);

    @Inject
    RailyardConfig config;

    @Inject
    UpstreamPools pools;

    @Inject
    Meters meters;

    @Inject
    ClientPolicy policy;

    @Inject
    Clock clock;

    @Inject
    HeapGuard heap;

    @Inject
    Ticker ticker;

    private RpcCodec codec;
    private Pipeline pipeline;
    /** The pipeline the gateway's own calls take: no method rules (they are the gateway's), no subscriptions. */
    private Pipeline ownCalls;
    private ResponseCache cache;
    private long requestTimeoutNanos;

    @PostConstruct
    void init() {
        RailyardConfig.LimitsConfig limits = config.limits();
        codec = new RpcCodec(new RpcCodec.Limits(limits.maxBatchItems(), limits.maxNestingDepth(), limits.maxMethodLength()));
        requestTimeoutNanos = config.forward().requestTimeout().toNanos();
        MeteredStats stats = new MeteredStats(meters, clock);
        List<RpcInterceptor> stages = new ArrayList<>();
        if (config.cache().enabled()) {
            cache = new ResponseCache(HeapShares.orQuarterOfHeap(config.cache().maxBytes(), Runtime.getRuntime().maxMemory()),
                    config.cache().expireAfterWrite(), ticker);
            stages.add(new CacheInterceptor(cache, stats));
            meters.cacheGauges(cache, ResponseCache::bytes, ResponseCache::evictions);
            heap.onChange(cache::shortOfMemory);
        }
        // After the cache: a pinned latest read is keyed by its tag, so it is never taken for an immutable answer.
        stages.add(new HeadGuard());
        UpstreamCalls calls = new UpstreamCalls(pools.client(), stats, config.forward().tryTimeout().toMillis(),
                config.errors().exposeUpstreamNames(), ticker);
        stages.add(new Broadcast(calls));
        stages.add(new Forwarder(calls, config.forward().maxAttempts()));
        ownCalls = new Pipeline(stages);
        List<RpcInterceptor> clientStages = new ArrayList<>();
        clientStages.add(new MethodPolicy(policy));
        clientStages.add(new SubscriptionCalls());
        clientStages.addAll(stages);
        pipeline = new Pipeline(clientStages);
    }

    /** The response cache, or null when caching is off. */
    public ResponseCache cache() {
        return cache;
    }

    /**
     * Answers one client body.
     *
     * @param address      the client's address
     * @param presentedKey the API key from the path or the X-Api-Key header, or null
     * @param access       the access-log record to fill in, or null
     * @param requestId    names this request in the gateway's own errors and in the log
     * @param session      the connection's subscriptions (WebSocket), or null when it cannot carry notifications
     */
    public Future<GatewayReply> handle(UpstreamPool pool, byte[] body, String address, String presentedKey, CallScope scope,
                                       AccessRecord access, RequestId requestId, Session session) {
        String network = pool.network();
        if (access != null) {
            access.network(network);
            access.client(address);
        }
        ApiKey key = null;
        if (presentedKey != null && !presentedKey.isEmpty()) {
            key = policy.key(presentedKey);
            if (key == null) {
                return unauthorized(network, "Unauthorized: unknown API key", requestId);
            }
            if (!key.mayUse(network)) {
                return unauthorized(network, "Unauthorized: API key '" + key.name() + "' may not use network " + network, requestId);
            }
        } else if (policy.requiresKey(network)) {
            return unauthorized(network, "Unauthorized: network " + network + " requires an API key (POST /" + network
                    + "/<key> or an X-Api-Key header)", requestId);
        }
        ClientIdentity client = new ClientIdentity(address, key);
        if (access != null && key != null) {
            access.client(key.name());
        }
        RpcBody decoded = codec.decode(body);
        return policy.admit(client, network, cost(decoded, network, client)).compose(decision -> decision.allowed()
                ? answer(pool, decoded, client, scope, access, requestId, session)
                : Future.succeededFuture(limited(decoded, client, decision, requestId)));
    }

    private Future<GatewayReply> unauthorized(String network, String message, RequestId requestId) {
        RpcAnswer error = RpcAnswer.error(RpcErrorCode.UNAUTHORIZED, message, requestId);
        meters.request(network, MethodSpec.OTHER, outcome(error), 0);
        return Future.succeededFuture(GatewayReply.of(error, RpcAnswer.NULL));
    }

    /**
     * A batch costs the sum of its entries; anything unreadable costs 1, so garbage floods are limited too. A method
     * the policy refuses costs 1 as well: it is refused, not run, so it must not spend a heavy method's quota (nor be
     * answered 429 where the truth is that it is not available), while a flood of refused calls is still limited.
     */
    private int cost(RpcBody decoded, String network, ClientIdentity client) {
        if (decoded instanceof RpcBody.Batch batch) {
            int total = 0;
            for (RpcItem item : batch.items()) {
                total += item instanceof RpcItem.Valid v ? cost(v.request().method(), network, client) : 1;
            }
            return total;
        }
        if (decoded instanceof RpcBody.Single single && single.item() instanceof RpcItem.Valid v) {
            return cost(v.request().method(), network, client);
        }
        return 1;
    }

    private int cost(String method, String network, ClientIdentity client) {
        return policy.refuses(network, client, method) ? 1 : policy.cost(method);
    }

    private GatewayReply limited(RpcBody decoded, ClientIdentity client, Decision decision, RequestId requestId) {
        Limit limit = policy.limitOf(client);
        RpcErrorCode code = decision.backendDown() ? RpcErrorCode.RESOURCE_UNAVAILABLE : RpcErrorCode.LIMIT_EXCEEDED;
        RpcAnswer error = RpcAnswer.error(code, decision.backendDown()
                ? "rate limiting is unavailable and set to fail closed; retry later"
                : "Limit exceeded: " + (client.key() != null ? "API key '" + client.key().name() + "'" : "client " + client.address())
                + " is over " + format(limit.rate()) + " requests/s (burst " + format(limit.burst()) + "); retry in "
                + decision.retryAfterSeconds() + " s", requestId);
        GatewayReply.LimitAdvice advice = new GatewayReply.LimitAdvice(client.key() != null ? "key" : "ip",
                decision.retryAfterSeconds(), (long) limit.burst(), limit.windowSeconds());
        return toEveryRequest(decoded, error, code).withLimit(advice);
    }

    /**
     * One of the gateway's own errors about the whole body (an unknown network, say), answered to each request in
     * it with that request's id: one error for a single request, one per entry (notifications left out) for a batch.
     */
    public GatewayReply refuseEvery(byte[] body, RpcErrorCode code, String message, RequestId requestId) {
        return toEveryRequest(codec.decode(body), RpcAnswer.error(code, message, requestId), code);
    }

    private static GatewayReply toEveryRequest(RpcBody decoded, RpcAnswer error, RpcErrorCode code) {
        if (!(decoded instanceof RpcBody.Batch batch)) {
            return GatewayReply.of(error, decoded instanceof RpcBody.Single single ? single.item().replyId() : RpcAnswer.NULL);
        }
        Buffer out = Buffer.buffer().appendByte((byte) '[');
        boolean first = true;
        for (RpcItem item : batch.items()) {
            if (item instanceof RpcItem.Valid v && v.request().isNotification()) {
                continue;
            }
            if (!first) {
                out.appendByte((byte) ',');
            }
            first = false;
            error.writeTo(out, item.replyId());
        }
        out.appendByte((byte) ']');
        return GatewayReply.refusedBatch(out, code);
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private Future<GatewayReply> answer(UpstreamPool pool, RpcBody decoded, ClientIdentity client, CallScope scope,
                                        AccessRecord access, RequestId requestId, Session session) {
        Deadline deadline = Deadline.after(ticker, requestTimeoutNanos);
        if (decoded instanceof RpcBody.Failed failed) {
            RpcAnswer error = RpcAnswer.error(failed.code(), failed.message(), requestId);
            meters.request(pool.network(), MethodSpec.OTHER, outcome(error), 0);
            return Future.succeededFuture(GatewayReply.of(error, RpcAnswer.NULL));
        }
        if (decoded instanceof RpcBody.Single single) {
            return answer(pool, single.item(), client, deadline, scope, access, null, requestId, session).map(answer -> answer == null
                    ? GatewayReply.NOTHING
                    : GatewayReply.of(answer, single.item().replyId()));
        }
        List<RpcItem> items = ((RpcBody.Batch) decoded).items();
        List<Future<RpcAnswer>> answers = new ArrayList<>(items.size());
        BatchGroup group = new BatchGroup();
        for (RpcItem item : items) {
            answers.add(answer(pool, item, client, deadline, scope, access, group, requestId, session));
        }
        pipeline.batchEnded(group);
        return Future.join(answers).map(done -> {
            Buffer out = Buffer.buffer(256 * items.size());
            out.appendByte((byte) '[');
            boolean first = true;
            for (int i = 0; i < items.size(); i++) {
                RpcAnswer answer = answers.get(i).result();
                if (answer == null) {
                    continue;
                }
                if (!first) {
                    out.appendByte((byte) ',');
                }
                first = false;
                answer.writeTo(out, items.get(i).replyId());
            }
            if (first) {
                return GatewayReply.NOTHING;
            }
            return GatewayReply.batch(out.appendByte((byte) ']'));
        });
    }

    /** The answer to one entry; null for a notification (it is still forwarded, its answer dropped). */
    private Future<RpcAnswer> answer(UpstreamPool pool, RpcItem item, ClientIdentity client, Deadline deadline, CallScope scope,
                                     AccessRecord access, BatchGroup group, RequestId requestId, Session session) {
        if (item instanceof RpcItem.Invalid invalid) {
            RpcAnswer error = RpcAnswer.error(invalid.code(), invalid.message(), requestId);
            meters.request(pool.network(), MethodSpec.OTHER, outcome(error), 0);
            return Future.succeededFuture(error);
        }
        RpcItem.Valid valid = (RpcItem.Valid) item;
        String method = MethodCatalog.spec(valid.request().method()).metricTag();
        if (access != null) {
            access.method(method);
        }
        if (valid.request().isNotification()) {
            pipeline.run(new RpcCall(pool, valid.request(), client, deadline, CallScope.detached(), access, group, requestId, session));
            return Future.succeededFuture(null);
        }
        long started = ticker.read();
        return pipeline.run(new RpcCall(pool, valid.request(), client, deadline, scope, access, group, requestId, session))
                .recover(e -> {
                    // The details are for the operator, who finds them by the request id; the client learns none.
                    LOG.errorf(e, "request %s on %s: %s failed inside the gateway", requestId, pool.network(), method);
                    return Future.succeededFuture(RpcAnswer.error(RpcErrorCode.INTERNAL_ERROR, "internal error", requestId));
                })
                .onSuccess(answer -> meters.request(pool.network(), method, outcome(answer), ticker.read() - started));
    }

    /**
     * One of the gateway's own reads (a subscription stream following the chain): through the cache, head guard and
     * forwarder like a client's, with failover, but under no client's key or limits. Not counted as a client request.
     *
     * @param params the params as JSON text, an array
     */
    public Future<RpcAnswer> ownCall(UpstreamPool pool, String method, String params) {
        RpcRequest request = new RpcRequest(OWN_CALL_ID, method, params.getBytes(StandardCharsets.UTF_8));
        RequestId id = RequestId.next();
        return ownCalls.run(new RpcCall(pool, request, ITSELF, Deadline.after(ticker, requestTimeoutNanos), CallScope.detached(),
                null, null, id, null));
    }

    private static final byte[] OWN_CALL_ID = "1".getBytes(StandardCharsets.US_ASCII);

    /** The {@code outcome} tag: ok, rpc_error (the node's own error), or what the gateway refused or could not do. */
    static String outcome(RpcAnswer answer) {
        if (!answer.isError()) {
            return "ok";
        }
        RpcErrorCode own = answer.ownError();
        if (own == null) {
            return "rpc_error";
        }
        return switch (own) {
            case PARSE_ERROR, INVALID_REQUEST, BODY_TOO_LARGE, BATCH_TOO_LARGE -> "invalid";
            case METHOD_DENIED -> "denied";
            case UNAUTHORIZED -> "unauthorized";
            case LIMIT_EXCEEDED -> "limited";
            case RESOURCE_UNAVAILABLE, OVERLOADED -> "unavailable";
            default -> "error";
        };
    }
}
