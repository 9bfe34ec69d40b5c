package io.railyard.core;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.vertx.core.buffer.Buffer;

/**
 * The gateway's answer to one client body, whatever carried the body in: the answers, and what the transport needs
 * to know beside them. The HTTP edge turns it into a status and headers ({@link #httpStatus()}, {@link RpcRoutes});
 * a WebSocket edge would send the same answers as a frame.
 *
 * @param body     the answers already written out (a batch), or null for a single answer or when nothing is owed
 * @param answer   the single answer, or null
 * @param answerId the client's id for {@code answer}
 * @param refusal  the gateway's own code when it refused the whole body (its HTTP status applies), or null
 * @param limit    what to tell a rate-limited client about its limit, or null
 */
public record GatewayReply(Buffer body, RpcAnswer answer, byte[] answerId, RpcErrorCode refusal, LimitAdvice limit) {

    /**
     * What a rate-limited client may know of its limit: when to retry and the bucket it hit.
     *
     * @param policy        {@code ip} or {@code key}
     * @param retryAfterSeconds when a request would be admitted again
     * @param burst         the bucket's size, in cost units
     * @param windowSeconds time for an empty bucket to refill
     */
    public record LimitAdvice(String policy, long retryAfterSeconds, long burst, long windowSeconds) {
    }

    /** Nothing is owed: every request was a notification. */
    public static final GatewayReply NOTHING = new GatewayReply(null, null, null, null, null);

    /** The reply to a single request: its answer under the client's id. */
    public static GatewayReply of(RpcAnswer answer, byte[] id) {
        return new GatewayReply(null, answer, id, null, null);
    }

    /** A batch's answers, written out. */
    public static GatewayReply batch(Buffer answers) {
        return new GatewayReply(answers, null, null, null, null);
    }

    /** The same reply, carrying advice about the limit the client hit. */
    GatewayReply withLimit(LimitAdvice advice) {
        return new GatewayReply(body, answer, answerId, refusal, advice);
    }

    /** The gateway refused the whole body with {@code code}: its answers (each with its id) are in the body. */
    static GatewayReply refusedBatch(Buffer answers, RpcErrorCode code) {
        return new GatewayReply(answers, null, null, code, null);
    }

    /** The HTTP status this reply goes out with: the single answer's, the refusal's, 204 when nothing is owed. */
    public int httpStatus() {
        if (answer != null) {
            return answer.httpStatus();
        }
        if (body == null) {
            return 204;
        }
        return refusal != null ? refusal.httpStatus() : 200;
    }
}
