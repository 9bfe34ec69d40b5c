package io.railyard.core.stages;

import io.railyard.cache.CacheKey;
import io.railyard.cache.ResponseCache;
import io.railyard.core.pipeline.CacheStats;
import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.RpcInterceptor;
import io.railyard.evm.CacheRules;
import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Answers immutable requests from the cache and lets identical ones in flight at once share one upstream call.
 * What may be cached is decided by {@link CacheRules} against the network's finalized block at the time.
 */
public final class CacheInterceptor implements RpcInterceptor {

    private final ResponseCache cache;
    private final ConcurrentMap<CacheKey, Future<RpcAnswer>> inFlight = new ConcurrentHashMap<>();
    private final CacheStats stats;

    public CacheInterceptor(ResponseCache cache, CacheStats stats) {
        this.cache = cache;
        this.stats = stats;
    }

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        long finalized = call.pool().finalized();
        if (!CacheRules.mayCache(call.request(), finalized)) {
            return next.proceed(call);
        }
        CacheKey key = CacheKey.of(call.network(), call.method(), call.request().params());
        if (key == null) {
            return next.proceed(call);
        }
        RpcAnswer hit = cache.get(key);
        if (hit != null) {
            stats.hit(call.network());
            if (call.access() != null) {
                call.access().cacheHit();
            }
            return Future.succeededFuture(hit);
        }
        Promise<RpcAnswer> promise = Promise.promise();
        Future<RpcAnswer> shared = inFlight.putIfAbsent(key, promise.future());
        if (shared != null) {
            stats.coalesced(call.network());
            return shared;
        }
        stats.miss(call.network());
        // The call serves every client waiting on this key, so one client hanging up must not cancel it.
        next.proceed(call.detached()).onComplete(done -> {
            // Judge the answer against what was final when it was asked for: finality may have moved past a block
            // the node answered about before a reorg replaced it.
            long finalizedThen = Math.min(finalized, call.pool().finalized());
            if (done.succeeded() && CacheRules.shouldStore(call.request(), done.result(), finalizedThen)) {
                cache.put(key, done.result());
            }
            inFlight.remove(key, promise.future());
            promise.handle(done);
        });
        return promise.future();
    }
}
