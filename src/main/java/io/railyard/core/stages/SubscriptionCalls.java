package io.railyard.core.stages;

import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.RpcInterceptor;
import io.railyard.evm.MethodCatalog;
import io.railyard.evm.Trait;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.vertx.core.Future;

/**
 * {@code eth_subscribe} and {@code eth_unsubscribe} are the connection's business, never a node's: the gateway
 * serves every subscriber from one stream per network. Over a connection that cannot carry notifications (plain
 * HTTP) they get a clear error instead of being forwarded to a node that would refuse them less clearly.
 */
public final class SubscriptionCalls implements RpcInterceptor {

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        if (!MethodCatalog.spec(call.method()).has(Trait.SUBSCRIPTION)) {
            return next.proceed(call);
        }
        if (call.session() == null) {
            return Future.succeededFuture(RpcAnswer.error(RpcErrorCode.SUBSCRIPTION_NEEDS_WEBSOCKET, call.method()
                    + " needs a WebSocket connection (ws:// or wss:// on the same path); over HTTP, poll with"
                    + " eth_newFilter / eth_getFilterChanges", call.requestId()));
        }
        return "eth_subscribe".equals(call.method()) ? call.session().subscribe(call) : call.session().unsubscribe(call);
    }
}
