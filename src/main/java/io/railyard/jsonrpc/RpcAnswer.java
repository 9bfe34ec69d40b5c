package io.railyard.jsonrpc;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * An answer without its id: either a result or an error, as raw JSON. The id is put on when it is written
 * ({@link #writeTo}), so one answer can serve every client that asked the same thing (cache, coalescing).
 *
 * @param result    raw JSON of the result, or {@code null} when this is an error
 * @param error     raw JSON of the error object, or {@code null} when this is a result
 * @param errorCode the error's code (0 for results), for retry decisions
 * @param errorText the error's message ("" for results), for retry decisions
 * @param ownError  the gateway's own error this is, or null for results and upstream errors (which pass through)
 */
public record RpcAnswer(byte[] result, byte[] error, int errorCode, String errorText, RpcErrorCode ownError) {

    public RpcAnswer(byte[] result, byte[] error, int errorCode, String errorText) {
        this(result, error, errorCode, errorText, null);
    }

    public static final byte[] NULL = bytes("null");
    private static final byte[] HEAD = bytes("{\"jsonrpc\":\"2.0\",\"id\":");
    private static final byte[] RESULT = bytes(",\"result\":");
    private static final byte[] ERROR = bytes(",\"error\":");

    public static RpcAnswer result(byte[] result) {
        return new RpcAnswer(result, null, 0, "");
    }

    public static RpcAnswer upstreamError(byte[] error, int code, String message) {
        return new RpcAnswer(null, error, code, message);
    }

    /** An error of the gateway's own. */
    public static RpcAnswer error(RpcErrorCode code, String message) {
        return error(code, message, null);
    }

    /**
     * An error of the gateway's own that names the client request it answers (docs/errors.md): the message ends
     * with {@code ; request id <id>} and {@code data} is {@code {"requestId":"<id>"}}.
     *
     * @param requestId the request's id, or null for none
     */
    public static RpcAnswer error(RpcErrorCode code, String message, Object requestId) {
        String text = message == null ? code.defaultMessage() : message;
        if (requestId != null) {
            text = text + "; request id " + requestId;
        }
        StringBuilder json = new StringBuilder(text.length() + 80).append("{\"code\":").append(code.code()).append(",\"message\":");
        JsonText.appendQuoted(json, text);
        if (requestId != null) {
            json.append(",\"data\":{\"requestId\":");
            JsonText.appendQuoted(json, requestId.toString());
            json.append('}');
        }
        json.append('}');
        return new RpcAnswer(null, bytes(json.toString()), code.code(), text, code);
    }

    /** The HTTP status this answer calls for when it is the only answer of a request. */
    public int httpStatus() {
        return ownError == null ? 200 : ownError.httpStatus();
    }

    public boolean isError() {
        return error != null;
    }

    /** True for a result of JSON {@code null}. */
    public boolean isNullResult() {
        return result != null && JsonText.isLiteral(result, "null");
    }

    /** True for a result of {@code []} (or {@code {}}). */
    public boolean isEmptyResult() {
        return result != null && JsonText.isEmptyContainer(result);
    }

    /** Size of the raw answer, for the cache's byte bound. */
    public int byteSize() {
        return (result != null ? result.length : error.length) + errorText.length() + 32;
    }

    public Buffer writeTo(Buffer out, byte[] id) {
        out.appendBytes(HEAD).appendBytes(id == null ? NULL : id);
        if (result != null) {
            out.appendBytes(RESULT).appendBytes(result);
        } else {
            out.appendBytes(ERROR).appendBytes(error);
        }
        return out.appendByte((byte) '}');
    }

    /** How many bytes {@link #writeTo} writes for this id. */
    public int encodedSize(byte[] id) {
        return HEAD.length + (id == null ? NULL.length : id.length)
                + (result != null ? RESULT.length + result.length : ERROR.length + error.length) + 1;
    }

    public Buffer toBuffer(byte[] id) {
        return writeTo(Buffer.buffer(encodedSize(id)), id);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return result != null ? "result " + new String(result, StandardCharsets.UTF_8) : "error " + new String(error, StandardCharsets.UTF_8);
    }
}
