package io.railyard.core.stages;

import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.RpcInterceptor;
import io.railyard.evm.HeadEvidence;
import io.railyard.evm.HeadPin;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.upstream.UpstreamPool;
import io.vertx.core.Future;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Keeps the head a network shows its clients from going backwards. Reads tagged {@code latest} (or {@code safe},
 * {@code finalized}) are pinned to the block the network means by that tag ({@link UpstreamPool#servedHead()},
 * {@link UpstreamPool#servedSafe()}, {@link UpstreamPool#servedFinalized()}), so they are routed only to nodes that
 * have it and two consecutive reads never come from blocks going backwards; an {@code eth_blockNumber} answer below the served head is answered with
 * the served head. Runs after the cache, which keys such reads by their tag and so never stores them.
 */
public final class HeadGuard implements RpcInterceptor {

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        UpstreamPool pool = call.pool();
        if ("eth_blockNumber".equals(call.method())) {
            return next.proceed(call).map(answer -> notBelowServed(pool, call, answer));
        }
        Optional<HeadPin.Target> target = HeadPin.target(call.request());
        if (target.isEmpty()) {
            return next.proceed(call);
        }
        long block = switch (target.get()) {
            case LATEST -> pool.servedHead();
            case SAFE -> pool.servedSafe();
            case FINALIZED -> pool.servedFinalized();
        };
        if (block < 0) {
            return next.proceed(call);
        }
        return HeadPin.pinned(call.request(), block)
                .map(pinned -> next.proceed(call.withRequest(pinned)))
                .orElseGet(() -> next.proceed(call));
    }

    private static RpcAnswer notBelowServed(UpstreamPool pool, RpcCall call, RpcAnswer answer) {
        long shown = HeadEvidence.blockShown(call.request(), answer);
        if (shown < 0) {
            return answer;
        }
        // An implausible head (far past what the network elected) is not shown: the network's own head is.
        long served = pool.plausibleHead(shown) ? pool.raiseServedHead(shown) : pool.servedHead();
        if (served < 0) {
            return answer;
        }
        return served == shown ? answer
                : RpcAnswer.result(("\"0x" + Long.toHexString(served) + "\"").getBytes(StandardCharsets.US_ASCII));
    }
}
