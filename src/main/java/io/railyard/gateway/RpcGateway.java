package io.railyard.gateway;

import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.cache.ResponseCache;
import io.railyard.config.RailyardConfig;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcBody;
import io.railyard.jsonrpc.RpcCodec;
import io.railyard.jsonrpc.RpcItem;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

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

    private RpcCodec codec;
    private Pipeline pipeline;
    private ResponseCache cache;
    private long requestTimeoutNanos;

    @PostConstruct
    void init() {
        RailyardConfig.LimitsConfig limits = config.limits();
        codec = new RpcCodec(new RpcCodec.Limits(limits.maxBatchItems(), limits.maxNestingDepth(), limits.maxMethodLength()));
        requestTimeoutNanos = config.forward().requestTimeout().toNanos();
        List<RpcInterceptor> stages = new ArrayList<>();
        stages.add(new MethodPolicy());
        if (config.cache().enabled()) {
            cache = new ResponseCache(config.cache().maxBytes(), config.cache().expireAfterWrite(), Ticker.systemTicker());
            stages.add(new CacheInterceptor(cache, CacheStats.NONE));
        }
        stages.add(new Forwarder(pools.client(), config.forward().maxAttempts(), config.forward().tryTimeout().toMillis(), ForwardStats.NONE));
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
            return Future.succeededFuture(RpcAnswer.error(invalid.code(), invalid.message()));
        }
        RpcItem.Valid valid = (RpcItem.Valid) item;
        if (valid.request().isNotification()) {
            pipeline.run(new RpcCall(pool, valid.request(), clientKey, deadline, CallScope.detached()));
            return Future.succeededFuture(null);
        }
        return pipeline.run(new RpcCall(pool, valid.request(), clientKey, deadline, scope))
                .recover(e -> Future.succeededFuture(RpcAnswer.error(io.railyard.jsonrpc.RpcErrorCode.INTERNAL_ERROR,
                        "internal error: " + e.getClass().getSimpleName())));
    }
}
