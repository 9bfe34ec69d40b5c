package io.railyard.core.pipeline;

import io.railyard.access.ClientIdentity;
import io.railyard.jsonrpc.RpcRequest;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.UpstreamPool;

/**
 * One JSON-RPC request on its way through the pipeline (a batch makes one per entry).
 *
 * @param pool           the network it is for
 * @param request        the request as the client sent it
 * @param client         who asks (address and API key); ip-hash routes on the address
 * @param deadline       by when the client must have its answer
 * @param scope          cancels upstream calls when the client hangs up
 * @param access         the access-log record of the client request, or null when the access log is off
 * @param batch          the client batch's group of plain reads to send together, or null
 * @param requestId      names the client request in the gateway's own errors and in the log
 * @param session        the connection's subscriptions when it can carry notifications (WebSocket), else null
 */
public record RpcCall(UpstreamPool pool, RpcRequest request, ClientIdentity client, Deadline deadline, CallScope scope,
                      AccessRecord access, BatchGroup batch, RequestId requestId, Session session) {

    /** What ip-hash hashes: the client's address. */
    public String clientKey() {
        return client.address();
    }

    public long remainingMillis() {
        return deadline.remainingMillis();
    }

    /** The same call, no longer cancelled by its client (for work that serves others too). */
    public RpcCall detached() {
        return new RpcCall(pool, request, client, deadline, CallScope.detached(), access, batch, requestId, session);
    }

    /** The same call for another form of the request (a tag pinned to a number). */
    public RpcCall withRequest(RpcRequest other) {
        return new RpcCall(pool, other, client, deadline, scope, access, batch, requestId, session);
    }

    public String network() {
        return pool.network();
    }

    public String method() {
        return request.method();
    }
}
