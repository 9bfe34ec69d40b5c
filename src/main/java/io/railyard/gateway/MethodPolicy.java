package io.railyard.gateway;

import io.railyard.evm.MethodCatalog;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.vertx.core.Future;

/** Refuses methods that must never reach a node from the outside (node administration, node-held keys). */
final class MethodPolicy implements RpcInterceptor {

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        String method = call.method();
        if (MethodCatalog.deniedByDefault(method)) {
            return Future.succeededFuture(RpcAnswer.error(RpcErrorCode.METHOD_DENIED,
                    "the method " + method + " does not exist/is not available"));
        }
        return next.proceed(call);
    }
}
