package io.railyard.gateway;

import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.cache.ResponseCache;
import io.railyard.config.RailyardConfig;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcBody;
import io.railyard.evm.MethodCatalog;
import io.railyard.evm.MethodSpec;
import io.railyard.jsonrpc.RpcCodec;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.metrics.Meters;
import io.railyard.jsonrpc.RpcItem;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one client body into its answer: decodes it, runs every request through the pipeline (method policy →
 * cache → forward), and writes the answers in request order, each with the client's own id.
 */
@ApplicationScoped
public class RpcGateway {

    @Inject
    RailyardConfig config;

    @Inject
    UpstreamPools pools;

    @Inject
    Meters meters;

    @Inject
    Clock clock;

    private RpcCodec codec;
    private Pipeline pipeline;
    private ResponseCache cache;
    private long requestTimeoutNanos;

    @PostConstruct
    void init() {
        RailyardConfig.LimitsConfig limits = config.limits();
        codec = new RpcCodec(new RpcCodec.Limits(limits.maxBatchItems(), limits.maxNestingDepth(), limits.maxMethodLength()));
        requestTimeoutNanos = config.forward().requestTimeout().toNanos();
        MeteredStats stats = new MeteredStats(meters, clock);
        List<RpcInterceptor> stages = new ArrayList<>();
        stages.add(new MethodPolicy());
        if (config.cache().enabled()) {
            cache = new ResponseCache(config.cache().maxBytes(), config.cache().expireAfterWrite(), Ticker.systemTicker());
            stages.add(new CacheInterceptor(cache, stats));
            meters.cacheGauges(cache::bytes, cache::evictions);
        }
        stages.add(new Forwarder(pools.client(), config.forward().maxAttempts(), config.forward().tryTimeout().toMillis(), stats));
        pipeline = new Pipeline(stages);
    }

    /** The response cache, or null when caching is off. */
    public ResponseCache cache() {
        return cache;
    }

    public Future<GatewayReply> handle(UpstreamPool pool, byte[] body, String clientKey, CallScope scope) {
        RpcBody decoded = codec.decode(body);
        long deadline = System.nanoTime() + requestTimeoutNanos;
        if (decoded instanceof RpcBody.Failed failed) {
            RpcAnswer error = RpcAnswer.error(failed.code(), failed.message());
            meters.request(pool.network(), MethodSpec.OTHER, outcome(error), 0);
            return Future.succeededFuture(new GatewayReply(failed.code().httpStatus(), error.toBuffer(RpcAnswer.NULL)));
        }
        if (decoded instanceof RpcBody.Single single) {
            return answer(pool, single.item(), clientKey, deadline, scope).map(answer -> answer == null
                    ? new GatewayReply(204, null)
                    : new GatewayReply(answer.httpStatus(), answer.toBuffer(single.item().replyId())));
        }
        List<RpcItem> items = ((RpcBody.Batch) decoded).items();
        List<Future<RpcAnswer>> answers = new ArrayList<>(items.size());
        for (RpcItem item : items) {
            answers.add(answer(pool, item, clientKey, deadline, scope));
        }
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
                return new GatewayReply(204, null);
            }
            return new GatewayReply(200, out.appendByte((byte) ']'));
        });
    }

    /** The answer to one entry; null for a notification (it is still forwarded, its answer dropped). */
    private Future<RpcAnswer> answer(UpstreamPool pool, RpcItem item, String clientKey, long deadline, CallScope scope) {
        if (item instanceof RpcItem.Invalid invalid) {
            RpcAnswer error = RpcAnswer.error(invalid.code(), invalid.message());
            meters.request(pool.network(), MethodSpec.OTHER, outcome(error), 0);
            return Future.succeededFuture(error);
        }
        RpcItem.Valid valid = (RpcItem.Valid) item;
        if (valid.request().isNotification()) {
            pipeline.run(new RpcCall(pool, valid.request(), clientKey, deadline, CallScope.detached()));
            return Future.succeededFuture(null);
        }
        long started = System.nanoTime();
        String method = MethodCatalog.spec(valid.request().method()).metricTag();
        return pipeline.run(new RpcCall(pool, valid.request(), clientKey, deadline, scope))
                .recover(e -> Future.succeededFuture(RpcAnswer.error(RpcErrorCode.INTERNAL_ERROR,
                        "internal error: " + e.getClass().getSimpleName())))
                .onSuccess(answer -> meters.request(pool.network(), method, outcome(answer), System.nanoTime() - started));
    }

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
            case RESOURCE_UNAVAILABLE -> "unavailable";
            default -> "error";
        };
    }
}
