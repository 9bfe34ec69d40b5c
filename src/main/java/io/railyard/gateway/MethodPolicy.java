package io.railyard.gateway;

import io.railyard.ratelimit.ClientPolicy;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.vertx.core.Future;

/**
 * Refuses methods that must never reach a node from the outside (node administration, node-held keys, by
 * default), and whatever the network's or the client's API key rules refuse.
 */
final class MethodPolicy implements RpcInterceptor {

    private final ClientPolicy policy;

    MethodPolicy(ClientPolicy policy) {
        this.policy = policy;
    }

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        String method = call.method();
        if (policy.refuses(call.network(), call.client(), method)) {
            return Future.succeededFuture(RpcAnswer.error(RpcErrorCode.METHOD_DENIED,
                    "the method " + method + " does not exist/is not available", call.requestId()));
        }
        return next.proceed(call);
    }
}
