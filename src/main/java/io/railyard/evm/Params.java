package io.railyard.evm;

import io.railyard.jsonrpc.RpcRequest;

/** What a request's params say where a rule needs one element of them, read as JSON (not scanned for quotes). */
public final class Params {

    private Params() {
    }

    /** The first param when it is a JSON string (a raw transaction, a filter id), else null. */
    public static String firstString(RpcRequest request) {
        return request.params() != null && Json.element(request.params(), 0) instanceof String s ? s : null;
    }
}
