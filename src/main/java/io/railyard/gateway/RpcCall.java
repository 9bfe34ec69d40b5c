package io.railyard.gateway;

import io.railyard.jsonrpc.RpcRequest;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;

/**
 * One JSON-RPC request on its way through the pipeline (a batch makes one per entry).
 *
 * @param pool           the network it is for
 * @param request        the request as the client sent it
 * @param clientKey      who asks (the client address), for ip-hash routing
 * @param deadlineNanos  {@link System#nanoTime()} by which the client must have its answer
 * @param scope          cancels upstream calls when the client hangs up
 */
public record RpcCall(UpstreamPool pool, RpcRequest request, String clientKey, long deadlineNanos, CallScope scope) {

    public long remainingMillis() {
        return Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }

    /** The same call, no longer cancelled by its client (for work that serves others too). */
    public RpcCall detached() {
        return new RpcCall(pool, request, clientKey, deadlineNanos, CallScope.detached());
    }

    public String network() {
        return pool.network();
    }

    public String method() {
        return request.method();
    }
}
