package io.railyard.gateway;

import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Future;

/**
 * One stage of the per-request pipeline (method policy, cache, forward). A stage answers by itself or passes the
 * call on; like vertx-http-proxy's ProxyInterceptor, the default is to pass through.
 */
public interface RpcInterceptor {

    Future<RpcAnswer> intercept(RpcCall call, Next next);

    @FunctionalInterface
    interface Next {
        Future<RpcAnswer> proceed(RpcCall call);
    }
}
