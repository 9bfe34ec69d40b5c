package io.railyard.core.pipeline;

import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Future;

/**
 * The long-lived connection a call arrived on, when it can carry notifications (a WebSocket): it holds the
 * connection's subscriptions. Plain HTTP calls have none, so {@code eth_subscribe} over HTTP is refused.
 */
public interface Session {

    /** Answers {@code eth_subscribe}: the new subscription's id, or an error naming what is wrong with the params. */
    Future<RpcAnswer> subscribe(RpcCall call);

    /** Answers {@code eth_unsubscribe}: {@code true} when the connection held that subscription, else {@code false}. */
    Future<RpcAnswer> unsubscribe(RpcCall call);
}
