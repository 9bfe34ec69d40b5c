package io.railyard.jsonrpc;

/**
 * Every error the gateway itself answers with: its JSON-RPC code and the HTTP status that goes with it
 * when it is the answer to a whole HTTP request (inside a batch, only the JSON-RPC part is used).
 * Upstream errors are never translated into these: they pass through unchanged.
 */
public enum RpcErrorCode {
    PARSE_ERROR(-32700, 200, "Parse error"),
    INVALID_REQUEST(-32600, 200, "Invalid request"),
    METHOD_DENIED(-32601, 200, "Method not allowed"),
    BODY_TOO_LARGE(-32600, 413, "Request body too large"),
    BATCH_TOO_LARGE(-32600, 413, "Batch too large"),
    UNKNOWN_NETWORK(-32600, 404, "Unknown network"),
    HTTP_METHOD_NOT_ALLOWED(-32600, 405, "JSON-RPC requests must be sent with POST"),
    UNAUTHORIZED(-32001, 401, "Unauthorized"),
    /** An API key used from a page whose origin is not on the key's {@code allowed-origins}: unauthorized, as 403. */
    ORIGIN_NOT_ALLOWED(-32001, 403, "Origin not allowed"),
    LIMIT_EXCEEDED(-32005, 429, "Limit exceeded"),
    RESOURCE_UNAVAILABLE(-32002, 503, "Resource unavailable"),
    OVERLOADED(-32002, 503, "Gateway overloaded"),
    BODY_TIMEOUT(-32600, 408, "Request body not received in time"),
    /** Params the gateway reads itself (a subscription's kind and filter) that it cannot use. */
    INVALID_PARAMS(-32602, 200, "Invalid params"),
    /** {@code eth_subscribe} and {@code eth_unsubscribe} sent over plain HTTP, which cannot carry notifications. */
    SUBSCRIPTION_NEEDS_WEBSOCKET(-32601, 200, "Subscriptions need a WebSocket connection"),
    /** One connection holds {@code railyard.websocket.max-subscriptions-per-connection} already. */
    TOO_MANY_SUBSCRIPTIONS(-32005, 200, "Too many subscriptions"),
    /** Sent on a subscription that ends because the chain reorganised deeper than it can replay. */
    REORG_TOO_DEEP(-32000, 200, "Reorg too deep to replay"),
    INTERNAL_ERROR(-32603, 500, "Internal error");

    private final int code;
    private final int httpStatus;
    private final String defaultMessage;

    RpcErrorCode(int code, int httpStatus, String defaultMessage) {
        this.code = code;
        this.httpStatus = httpStatus;
        this.defaultMessage = defaultMessage;
    }

    public int code() {
        return code;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String defaultMessage() {
        return defaultMessage;
    }
}
