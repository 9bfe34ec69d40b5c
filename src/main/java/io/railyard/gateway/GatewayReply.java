package io.railyard.gateway;

import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.buffer.Buffer;

import java.util.Map;

/**
 * The HTTP answer to one client body: either a body already written out, or one answer and the id to put on it,
 * written out only by whoever sends it ({@link RpcRoutes} writes it straight into the socket's buffer).
 *
 * @param status   HTTP status
 * @param body     JSON body, or null for a single answer or when there is nothing to say (only notifications)
 * @param headers  extra response headers (Retry-After, RateLimit...)
 * @param answer   the single answer, or null
 * @param answerId the client's id for {@code answer}
 */
public record GatewayReply(int status, Buffer body, Map<String, String> headers, RpcAnswer answer, byte[] answerId) {

    public GatewayReply(int status, Buffer body, Map<String, String> headers) {
        this(status, body, headers, null, null);
    }

    public GatewayReply(int status, Buffer body) {
        this(status, body, Map.of());
    }

    /** The reply to a single request: its answer under the client's id. */
    public static GatewayReply of(RpcAnswer answer, byte[] id) {
        return of(answer, id, Map.of());
    }

    /** The same, with extra response headers. */
    public static GatewayReply of(RpcAnswer answer, byte[] id, Map<String, String> headers) {
        return new GatewayReply(answer.httpStatus(), null, headers, answer, id);
    }
}
