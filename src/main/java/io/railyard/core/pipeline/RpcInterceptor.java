package io.railyard.core.pipeline;

import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Future;

/**
 * One stage of the per-request pipeline (method policy, cache, head guard, forward). A stage answers by itself or
 * passes the call on; like vertx-http-proxy's ProxyInterceptor, each hook's default is to pass through, so a stage
 * overrides only what it does.
 */
public interface RpcInterceptor {

    /** Answers the call or hands it to the next stage; by default, hands it on. */
    default Future<RpcAnswer> intercept(RpcCall call, Next next) {
        return next.proceed(call);
    }

    /**
     * Every entry of a client batch has been through the pipeline: a stage that gathered entries of the group
     * (to send them to an upstream together) sends them now. By default there is nothing to send.
     */
    default void batchEnded(BatchGroup group) {
    }

    @FunctionalInterface
    interface Next {
        Future<RpcAnswer> proceed(RpcCall call);
    }
}
