package io.railyard.jsonrpc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes client bodies into {@link RpcBody} and upstream replies into {@link RpcAnswer}, keeping every id,
 * params and result as the raw bytes it arrived as (spans of the input, found with Jackson's streaming parser),
 * so big numbers and formatting pass through untouched.
 */
public final class RpcCodec {

    /** Limits on what a client body may contain; each violation names its limit in the error. */
    public record Limits(int maxBatchItems, int maxNestingDepth, int maxMethodLength) {
        public static final Limits DEFAULT = new Limits(1000, 64, 256);
    }

    private final JsonFactory factory;
    /** Replies may nest far deeper than requests (call traces), so they get their own bound. */
    private final JsonFactory replyFactory;
    private final Limits limits;

    public RpcCodec(Limits limits) {
        this.limits = limits;
        this.factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(limits.maxNestingDepth())
                        .maxNumberLength(1000)
                        .build())
                .build();
        this.replyFactory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(5000).build())
                .build();
    }

    public Limits limits() {
        return limits;
    }

    // ---------------------------------------------------------------- client bodies

    public RpcBody decode(byte[] body) {
        if (!looksLikeUtf8(body)) {
            return new RpcBody.Failed(RpcErrorCode.PARSE_ERROR, "Parse error: the body must be UTF-8 JSON");
        }
        try (JsonParser p = factory.createParser(body)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return new RpcBody.Failed(RpcErrorCode.PARSE_ERROR, "Parse error: empty body");
            }
            RpcBody result;
            if (first == JsonToken.START_ARRAY) {
                result = decodeBatch(p, body);
            } else if (first == JsonToken.START_OBJECT) {
                result = new RpcBody.Single(decodeItem(p, body));
            } else {
                p.skipChildren();
                result = new RpcBody.Single(invalid(null, "Invalid request: expected a JSON-RPC object or a batch array"));
            }
            if (p.nextToken() != null) {
                return new RpcBody.Failed(RpcErrorCode.PARSE_ERROR, "Parse error: unexpected data after the JSON value");
            }
            return result;
        } catch (StreamConstraintsException e) {
            return new RpcBody.Failed(RpcErrorCode.PARSE_ERROR,
                    "Parse error: JSON nested deeper than " + limits.maxNestingDepth() + " levels or a number too long");
        } catch (BatchTooLarge e) {
            return new RpcBody.Failed(RpcErrorCode.BATCH_TOO_LARGE, "Batch too large: more than " + limits.maxBatchItems() + " items");
        } catch (IOException | RuntimeException e) {
            return new RpcBody.Failed(RpcErrorCode.PARSE_ERROR, "Parse error: " + firstLine(e.getMessage()));
        }
    }

    /**
     * JSON-RPC bodies are UTF-8. Jackson would also accept UTF-16 and UTF-32 (detected from a byte-order mark or
     * zero bytes), and then report positions the raw-span slicing cannot use, so those are refused up front.
     */
    private static boolean looksLikeUtf8(byte[] body) {
        int n = Math.min(4, body.length);
        if (n >= 2 && ((body[0] == (byte) 0xFE && body[1] == (byte) 0xFF) || (body[0] == (byte) 0xFF && body[1] == (byte) 0xFE))) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (body[i] == 0) {
                return false;
            }
        }
        return true;
    }

    private RpcBody decodeBatch(JsonParser p, byte[] body) throws IOException {
        List<RpcItem> items = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new IOException("unexpected end of input");
            }
            if (items.size() >= limits.maxBatchItems()) {
                throw new BatchTooLarge();
            }
            if (t == JsonToken.START_OBJECT) {
                items.add(decodeItem(p, body));
            } else {
                p.skipChildren();
                items.add(invalid(null, "Invalid request: batch entry is not an object"));
            }
        }
        if (items.isEmpty()) {
            return new RpcBody.Failed(RpcErrorCode.INVALID_REQUEST, "Invalid request: empty batch");
        }
        return new RpcBody.Batch(items);
    }

    /** Reads one object; the parser is on its START_OBJECT and is left on its END_OBJECT. */
    private RpcItem decodeItem(JsonParser p, byte[] body) throws IOException {
        byte[] id = null;
        boolean idValid = true;
        String method = null;
        String problem = null;
        boolean sawJsonrpc = false;
        byte[] params = null;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "jsonrpc" -> {
                    sawJsonrpc = true;
                    if (v != JsonToken.VALUE_STRING || !"2.0".equals(p.getText())) {
                        p.skipChildren();
                        problem = "Invalid request: \"jsonrpc\" must be \"2.0\"";
                    }
                }
                case "id" -> {
                    if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT
                            || v == JsonToken.VALUE_NULL) {
                        id = span(p, body);
                        idValid = true;
                    } else {
                        p.skipChildren();
                        id = RpcAnswer.NULL;
                        idValid = false;
                        problem = "Invalid request: \"id\" must be a string, a number or null";
                    }
                }
                case "method" -> {
                    if (v == JsonToken.VALUE_STRING) {
                        method = p.getText();
                        if (method.length() > limits.maxMethodLength()) {
                            problem = "Invalid request: method name longer than " + limits.maxMethodLength() + " characters";
                        } else if (method.isEmpty()) {
                            problem = "Invalid request: \"method\" is empty";
                        }
                    } else {
                        p.skipChildren();
                        problem = "Invalid request: \"method\" must be a string";
                    }
                }
                case "params" -> {
                    if (v == JsonToken.START_ARRAY || v == JsonToken.START_OBJECT) {
                        int start = (int) p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        int end = (int) p.currentLocation().getByteOffset();
                        params = Arrays.copyOfRange(body, start, end);
                    } else if (v != JsonToken.VALUE_NULL) {
                        p.skipChildren();
                        problem = "Invalid request: \"params\" must be an array or an object";
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new IOException("unexpected end of input");
        }
        if (problem == null && !sawJsonrpc) {
            problem = "Invalid request: \"jsonrpc\" must be \"2.0\"";
        }
        if (problem == null && method == null) {
            problem = "Invalid request: \"method\" is missing";
        }
        if (problem != null) {
            return new RpcItem.Invalid(id != null && idValid ? id : RpcAnswer.NULL, RpcErrorCode.INVALID_REQUEST, problem);
        }
        return new RpcItem.Valid(new RpcRequest(id, method, params));
    }

    private static byte[] span(JsonParser p, byte[] body) throws IOException {
        int start = (int) p.currentTokenLocation().getByteOffset();
        p.finishToken();
        int end = (int) p.currentLocation().getByteOffset();
        return Arrays.copyOfRange(body, start, end);
    }

    private static RpcItem invalid(byte[] id, String message) {
        return new RpcItem.Invalid(id == null ? RpcAnswer.NULL : id, RpcErrorCode.INVALID_REQUEST, message);
    }

    // ---------------------------------------------------------------- upstream side

    private static final byte[] REQ_HEAD = "{\"jsonrpc\":\"2.0\",\"id\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQ_METHOD = ",\"method\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQ_PARAMS = ",\"params\":".getBytes(StandardCharsets.US_ASCII);

    /** The body sent to an upstream: the client's method and raw params under the gateway's own numeric id. */
    public static Buffer encodeUpstreamRequest(long id, String method, byte[] params) {
        Buffer b = Buffer.buffer(64 + method.length() + (params == null ? 2 : params.length));
        b.appendBytes(REQ_HEAD).appendString(Long.toString(id)).appendBytes(REQ_METHOD);
        b.appendString(JsonText.quote(method), "UTF-8");
        b.appendBytes(REQ_PARAMS);
        if (params == null) {
            b.appendString("[]");
        } else {
            b.appendBytes(params);
        }
        return b.appendByte((byte) '}');
    }

    /**
     * Reads an upstream's reply to {@link #encodeUpstreamRequest}.
     *
     * @throws BadUpstreamReply when the body is not a JSON-RPC response to that id
     */
    public RpcAnswer decodeUpstreamReply(byte[] body, long expectedId) {
        try (JsonParser p = replyFactory.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadUpstreamReply("not a JSON-RPC response object");
            }
            Reply reply = readReply(p, body);
            if (p.nextToken() != null) {
                throw new BadUpstreamReply("malformed JSON-RPC response");
            }
            if (reply.id() != expectedId) {
                throw new BadUpstreamReply("response id does not match the request id " + expectedId);
            }
            return reply.answer();
        } catch (BadUpstreamReply e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BadUpstreamReply("not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    /**
     * Reads an upstream's reply to a batch of {@code count} requests with ids {@code firstId, firstId + 1, ...}.
     *
     * @return the answers in request order; null where the node left an entry out
     * @throws BatchRejected   when the node answered the batch with one object (it does not take batches)
     * @throws BadUpstreamReply when the body is not a JSON-RPC batch answer
     */
    public RpcAnswer[] decodeUpstreamBatchReply(byte[] body, long firstId, int count) {
        try (JsonParser p = replyFactory.createParser(body)) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.START_OBJECT) {
                throw new BatchRejected();
            }
            if (first != JsonToken.START_ARRAY) {
                throw new BadUpstreamReply("not a JSON-RPC batch response");
            }
            RpcAnswer[] answers = new RpcAnswer[count];
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.START_OBJECT) {
                Reply reply = readReply(p, body);
                long index = reply.id() - firstId;
                if (index >= 0 && index < count) {
                    if (answers[(int) index] != null) {
                        // Two answers for one request: at least one belongs to another request, and which is unknowable.
                        throw new BadUpstreamReply("batch response answers request id " + reply.id() + " twice");
                    }
                    answers[(int) index] = reply.answer();
                }
            }
            if (t != JsonToken.END_ARRAY || p.nextToken() != null) {
                throw new BadUpstreamReply("malformed JSON-RPC batch response");
            }
            return answers;
        } catch (BadUpstreamReply | BatchRejected e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BadUpstreamReply("not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    private record Reply(long id, RpcAnswer answer) {
    }

    /** Reads one response object; the parser is on its START_OBJECT and is left on its END_OBJECT. */
    private Reply readReply(JsonParser p, byte[] body) throws IOException {
        byte[] result = null;
        byte[] error = null;
        long id = Long.MIN_VALUE;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "id" -> {
                    if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                        id = p.getLongValue();
                    } else if (v == JsonToken.VALUE_STRING) {
                        try {
                            id = Long.parseLong(p.getText());
                        } catch (NumberFormatException e) {
                            id = Long.MIN_VALUE;
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "result" -> result = valueSpan(p, body);
                case "error" -> {
                    if (v != JsonToken.START_OBJECT) {
                        throw new BadUpstreamReply("\"error\" is not an object");
                    }
                    error = valueSpan(p, body);
                }
                default -> p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new BadUpstreamReply("malformed JSON-RPC response");
        }
        if (error != null) {
            return new Reply(id, readError(error));
        }
        if (result == null) {
            throw new BadUpstreamReply("response has neither result nor error");
        }
        return new Reply(id, RpcAnswer.result(result));
    }

    private RpcAnswer readError(byte[] error) throws IOException {
        int code = 0;
        String message = "";
        try (JsonParser p = replyFactory.createParser(error)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if ("code".equals(field) && v == JsonToken.VALUE_NUMBER_INT) {
                    code = p.getIntValue();
                } else if ("message".equals(field) && v == JsonToken.VALUE_STRING) {
                    message = p.getText();
                } else {
                    p.skipChildren();
                }
            }
        }
        return RpcAnswer.upstreamError(error, code, message);
    }

    private static byte[] valueSpan(JsonParser p, byte[] body) throws IOException {
        int start = (int) p.currentTokenLocation().getByteOffset();
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
        } else {
            p.finishToken();
        }
        int end = (int) p.currentLocation().getByteOffset();
        return Arrays.copyOfRange(body, start, end);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed JSON";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }

    /** An upstream answered with something that is not a JSON-RPC response to what was asked. */
    public static final class BadUpstreamReply extends RuntimeException {
        public BadUpstreamReply(String message) {
            super(message, null, false, false);
        }
    }

    /** An upstream answered a batch with a single object: it does not take batches. */
    public static final class BatchRejected extends RuntimeException {
        public BatchRejected() {
            super("the node answered a batch with a single object", null, false, false);
        }
    }

    private static final class BatchTooLarge extends RuntimeException {
        BatchTooLarge() {
            super(null, null, false, false);
        }
    }
}
