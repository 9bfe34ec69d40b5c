package io.railyard.testing;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * JSON-RPC 2.0 texts for tests, one home for their shape: a malformed params or result text fails where it is
 * written, and ids, methods and messages are encoded as JSON (a number as it is, a string quoted and escaped).
 */
public final class Rpc {

    private Rpc() {
    }

    /**
     * A request: {@code {"jsonrpc":"2.0","id":…,"method":…,"params":…}}.
     *
     * @param id         a number or a string (given plain: {@code "a"}, not {@code "\"a\""})
     * @param paramsJson the params array as JSON text, e.g. {@code ["0x10",false]}: checked to be one, and sent as
     *                   written (spacing included: cache-key tests send odd spacing on purpose)
     */
    public static String call(Object id, String method, String paramsJson) {
        new JsonArray(paramsJson);
        return "{\"jsonrpc\":\"2.0\",\"id\":" + Json.encode(id) + ",\"method\":" + Json.encode(method)
                + ",\"params\":" + paramsJson + "}";
    }

    /**
     * A request whose id is given as JSON text (a number's own text, or a string's with its quotes), sent as written: for tests of how ids come back byte for byte
     * ({@code 1.50}, {@code 1e3}, escapes), which an encoded id could not express.
     */
    public static String rawCall(Object idJson, String method, String paramsJson) {
        String id = String.valueOf(idJson);
        Json.decodeValue(id);
        new JsonArray(paramsJson);
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":" + Json.encode(method)
                + ",\"params\":" + paramsJson + "}";
    }

    /**
     * An answer as a node writes it: {@code {"jsonrpc":"2.0","id":…,"result":…}}, the result kept byte for byte
     * (answers are compared as bytes, and a node's number formatting is part of them).
     */
    public static String result(Object id, String resultJson) {
        Json.decodeValue(resultJson);
        return "{\"jsonrpc\":\"2.0\",\"id\":" + Json.encode(id) + ",\"result\":" + resultJson + "}";
    }

    /** An error answer: {@code {"jsonrpc":"2.0","id":…,"error":{"code":…,"message":…}}}. */
    public static String error(Object id, int code, String message) {
        return new JsonObject().put("jsonrpc", "2.0").put("id", id)
                .put("error", new JsonObject().put("code", code).put("message", message)).encode();
    }
}
