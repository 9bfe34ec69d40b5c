package io.railyard.jsonrpc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One valid JSON-RPC request. {@code id} and {@code params} are the client's raw JSON bytes, kept as sent
 * so that ids and numbers are never re-encoded.
 *
 * @param id     raw JSON of the id (a string, a number or {@code null}); Java {@code null} for a notification
 * @param method the method name
 * @param params raw JSON of the params (an array or an object); Java {@code null} when absent
 */
public record RpcRequest(byte[] id, String method, byte[] params) {

    public boolean isNotification() {
        return id == null;
    }

    /** The params as text, {@code "[]"} when absent: what an upstream and the cache rules see. */
    public String paramsText() {
        return params == null ? "[]" : new String(params, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RpcRequest r && Arrays.equals(id, r.id) && method.equals(r.method) && Arrays.equals(params, r.params);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(id) + method.hashCode()) + Arrays.hashCode(params);
    }

    @Override
    public String toString() {
        return "RpcRequest{id=" + (id == null ? "<none>" : new String(id, StandardCharsets.UTF_8)) + ", method=" + method
                + ", params=" + paramsText() + "}";
    }
}
