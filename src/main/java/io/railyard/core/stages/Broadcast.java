package io.railyard.core.stages;

import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.RpcInterceptor;
import io.railyard.evm.Keccak256;
import io.railyard.evm.MethodCatalog;
import io.railyard.evm.NodeErrors;
import io.railyard.evm.Params;
import io.railyard.evm.Trait;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.upstream.Upstream;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends a signed transaction ({@link Trait#BROADCAST}) to every healthy upstream at once, on networks with
 * {@code broadcast-transactions}: nonce-protected, so sending it twice is harmless, and every node that has it
 * spreads it. Everything else passes on to the forwarder.
 */
public final class Broadcast implements RpcInterceptor {

    private final UpstreamCalls calls;

    public Broadcast(UpstreamCalls calls) {
        this.calls = calls;
    }

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        if (MethodCatalog.spec(call.method()).has(Trait.BROADCAST) && call.pool().broadcastTransactions()) {
            return broadcast(call);
        }
        return next.proceed(call);
    }

    /**
     * The first success answers; "already known" counts as success (the node has it), answered with the
     * transaction's hash. When none succeeds, the first node error (say, nonce too low) is the answer, since every
     * node would say the same.
     */
    private Future<RpcAnswer> broadcast(RpcCall call) {
        List<Upstream> targets = call.pool().candidates(-1, 0L);
        if (targets.isEmpty()) {
            return Future.succeededFuture(calls.unavailable(call, null, false));
        }
        Promise<RpcAnswer> result = Promise.promise();
        AtomicInteger pending = new AtomicInteger(targets.size());
        // Answers of one broadcast complete on several event loops.
        AtomicReference<RpcAnswer> firstError = new AtomicReference<>();
        AtomicReference<UpstreamCalls.Miss> lastFailure = new AtomicReference<>();
        // Propagation must not stop because the client that sent it hung up.
        RpcCall detached = call.detached();
        for (Upstream upstream : targets) {
            calls.send(upstream, call, calls.singleTryMs(call), detached.scope()).onComplete(done -> {
                if (done.succeeded()) {
                    RpcAnswer answer = done.result();
                    if (!answer.isError()) {
                        result.tryComplete(answer);
                    } else if (NodeErrors.isAlreadyKnown(answer.errorCode(), answer.errorText())) {
                        RpcAnswer known = transactionHash(call);
                        result.tryComplete(known != null ? known : answer);
                    } else {
                        firstError.compareAndSet(null, answer);
                    }
                } else {
                    lastFailure.set(UpstreamCalls.Miss.of(upstream, done.cause()));
                }
                if (pending.decrementAndGet() == 0 && !result.future().isComplete()) {
                    RpcAnswer error = firstError.get();
                    result.tryComplete(error != null ? error : calls.unavailable(call, lastFailure.get(), false));
                }
            });
        }
        return result.future();
    }

    private static RpcAnswer transactionHash(RpcCall call) {
        String rawHex = Params.firstString(call.request());
        if (rawHex == null) {
            return null;
        }
        try {
            String hash = Keccak256.hexHash(Keccak256.hexToBytes(rawHex));
            return RpcAnswer.result(("\"" + hash + "\"").getBytes(StandardCharsets.US_ASCII));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
