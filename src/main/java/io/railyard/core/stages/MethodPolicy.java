package io.railyard.core.stages;

import io.railyard.access.ClientPolicy;
import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.RpcInterceptor;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.vertx.core.Future;

/**
 * Refuses methods that must never reach a node from the outside (node administration, node-held keys, by
 * default), and whatever the network's or the client's API key rules refuse.
 */
public final class MethodPolicy implements RpcInterceptor {

    private final ClientPolicy policy;

    public MethodPolicy(ClientPolicy policy) {
        this.policy = policy;
    }

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        // Said apart from a node's "does not exist": a wallet told the gateway refused eth_sendTransaction knows
        // to sign locally, and an operator knows which key to change.
        String refusal = policy.refusal(call.network(), call.client(), call.method());
        if (refusal != null) {
            return Future.succeededFuture(RpcAnswer.error(RpcErrorCode.METHOD_DENIED, refusal, call.requestId()));
        }
        return next.proceed(call);
    }
}
