package io.railyard.jsonrpc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RpcCodecTest {

    private final RpcCodec codec = new RpcCodec(new RpcCodec.Limits(5, 16, 64));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private RpcRequest single(String json) {
        RpcBody body = codec.decode(b(json));
        RpcBody.Single single = assertInstanceOf(RpcBody.Single.class, body);
        return assertInstanceOf(RpcItem.Valid.class, single.item()).request();
    }

    private RpcItem.Invalid invalid(String json) {
        RpcBody body = codec.decode(b(json));
        RpcBody.Single single = assertInstanceOf(RpcBody.Single.class, body);
        return assertInstanceOf(RpcItem.Invalid.class, single.item());
    }

    private RpcBody.Failed failed(String json) {
        return assertInstanceOf(RpcBody.Failed.class, codec.decode(b(json)));
    }

    @Test
    void singleRequestKeepsIdMethodAndRawParams() {
        RpcRequest r = single("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_getBalance\",\"params\":[\"0xabc\", \"latest\"]}");
        assertEquals("7", s(r.id()));
        assertEquals("eth_getBalance", r.method());
        assertEquals("[\"0xabc\", \"latest\"]", s(r.params()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"abc\"", "\"\"", "null", "0", "-1", "1.5e3", "123456789012345678901234567890123456789",
            "\"\\u00e9t\\u00e9 \\\"quoted\\\"\"", "\"été ☃ 𝄞\""})
    void idsComeBackExactlyAsSent(String id) {
        RpcRequest r = single("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"m\"}");
        assertEquals(id, s(r.id()));
        assertEquals(id, s(RpcAnswer.result(b("1")).toBuffer(r.id()).getBytes()).replaceAll("^\\{\"jsonrpc\":\"2.0\",\"id\":(.*),\"result\":1}$", "$1"));
    }

    @Test
    void fieldOrderDoesNotMatterAndParamsMayBeAbsentOrAnObject() {
        RpcRequest r = single("{\"method\":\"eth_chainId\",\"id\":\"x\",\"jsonrpc\":\"2.0\"}");
        assertNull(r.params());
        assertEquals("[]", r.paramsText());
        RpcRequest o = single("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":[1,{\"b\":2}]}}");
        assertEquals("{\"a\":[1,{\"b\":2}]}", s(o.params()));
    }

    @Test
    void missingIdIsANotification() {
        assertTrue(single("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[]}").isNotification());
        assertEquals("null", s(single("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}").id()));
    }

    @Test
    void batchKeepsOrderAndMarksBadEntries() {
        RpcBody body = codec.decode(b("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}, 5, [1], {\"jsonrpc\":\"2.0\",\"id\":2,\"method\":3},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}]"));
        var items = assertInstanceOf(RpcBody.Batch.class, body).items();
        assertEquals(5, items.size());
        assertEquals("a", ((RpcItem.Valid) items.get(0)).request().method());
        assertInstanceOf(RpcItem.Invalid.class, items.get(1));
        assertInstanceOf(RpcItem.Invalid.class, items.get(2));
        RpcItem.Invalid nonStringMethod = assertInstanceOf(RpcItem.Invalid.class, items.get(3));
        assertEquals("2", s(nonStringMethod.replyId()), "a readable id is kept on the error");
        assertTrue(((RpcItem.Valid) items.get(4)).request().isNotification());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "not json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"},",
            "{\"a\":1} {\"b\":2}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}x", "[1,2", "{'jsonrpc':'2.0'}"})
    void malformedJsonIsAParseError(String body) {
        RpcBody.Failed f = failed(body);
        assertEquals(RpcErrorCode.PARSE_ERROR, f.code());
    }

    @Test
    void invalidUtf8IsAParseError() {
        byte[] body = {'{', '"', 'm', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertEquals(RpcErrorCode.PARSE_ERROR, assertInstanceOf(RpcBody.Failed.class, codec.decode(body)).code());
    }

    @Test
    void emptyBatchIsOneInvalidRequest() {
        RpcBody.Failed f = failed("[]");
        assertEquals(RpcErrorCode.INVALID_REQUEST, f.code());
        assertTrue(f.message().contains("empty batch"));
    }

    @Test
    void batchOverTheLimitNamesTheLimit() {
        String item = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}";
        RpcBody.Failed f = failed("[" + String.join(",", java.util.Collections.nCopies(6, item)) + "]");
        assertEquals(RpcErrorCode.BATCH_TOO_LARGE, f.code());
        assertEquals(413, f.code().httpStatus());
        assertTrue(f.message().contains("5"), f.message());
        assertInstanceOf(RpcBody.Batch.class, codec.decode(b("[" + String.join(",", java.util.Collections.nCopies(5, item)) + "]")));
    }

    @Test
    void nestingDeeperThanTheLimitIsRejected() {
        String deep = "[".repeat(40) + "]".repeat(40);
        RpcBody.Failed f = failed("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":" + deep + "}");
        assertEquals(RpcErrorCode.PARSE_ERROR, f.code());
        assertTrue(f.message().contains("16"), f.message());
    }

    @Test
    void wrongShapesAreInvalidRequests() {
        assertTrue(invalid("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}").message().contains("jsonrpc"));
        assertTrue(invalid("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"m\"}").message().contains("jsonrpc"));
        assertTrue(invalid("{\"id\":1,\"method\":\"m\"}").message().contains("jsonrpc"));
        assertTrue(invalid("{\"jsonrpc\":\"2.0\",\"id\":1}").message().contains("method"));
        assertTrue(invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":null}").message().contains("method"));
        assertTrue(invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":[\"m\"]}").message().contains("method"));
        assertTrue(invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}").message().contains("method"));
        assertTrue(invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":\"x\"}").message().contains("params"));
        assertTrue(invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":5}").message().contains("params"));
        assertTrue(invalid("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + "m".repeat(65) + "\"}").message().contains("64"));
        RpcItem.Invalid objectId = invalid("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"m\"}");
        assertEquals("null", s(objectId.replyId()), "an unreadable id is answered with null");
        assertEquals("null", s(invalid("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}").replyId()));
        assertEquals("null", s(invalid("5").replyId()));
        assertEquals("null", s(invalid("\"a string\"").replyId()));
    }

    @Test
    void upstreamResultIsKeptByteForByte() {
        String result = "{\"big\":123456789012345678901234567890, \"f\":1.10, \"s\":\"\\u00e9\"}";
        RpcAnswer a = codec.decodeUpstreamReply(b("{\"jsonrpc\":\"2.0\",\"id\":42,\"result\":" + result + "}"), 42);
        assertEquals(result, s(a.result()));
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":\"client\",\"result\":" + result + "}", a.toBuffer(b("\"client\"")).toString());
        assertEquals("\"0x1\"", s(codec.decodeUpstreamReply(b("{\"result\":\"0x1\",\"id\":\"9\",\"jsonrpc\":\"2.0\"}"), 9).result()));
        assertTrue(codec.decodeUpstreamReply(b("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}"), 1).isNullResult());
    }

    @Test
    void upstreamErrorIsPassedThroughWithItsCodeReadable() {
        String error = "{\"code\":3,\"message\":\"execution reverted\",\"data\":\"0x08c379a0\"}";
        RpcAnswer a = codec.decodeUpstreamReply(b("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":" + error + "}"), 1);
        assertTrue(a.isError());
        assertEquals(3, a.errorCode());
        assertEquals("execution reverted", a.errorText());
        assertEquals(error, s(a.error()));
        assertNull(a.ownError());
        assertEquals(200, a.httpStatus());
    }

    @ParameterizedTest
    @ValueSource(strings = {"<html>bad gateway</html>", "", "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":1}", "{\"jsonrpc\":\"2.0\",\"id\":1}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}]",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}", "{\"jsonrpc\":\"2.0\",\"result\":1}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1} trailing"})
    void upstreamGarbageIsRejected(String body) {
        assertThrows(RpcCodec.BadUpstreamReply.class, () -> codec.decodeUpstreamReply(b(body), 1));
    }

    @Test
    void upstreamRequestCarriesTheGatewayIdAndRawParams() {
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"eth_call\",\"params\":[{\"to\":\"0x1\"}, \"0x10\"]}",
                RpcCodec.encodeUpstreamRequest(5, "eth_call", b("[{\"to\":\"0x1\"}, \"0x10\"]")).toString());
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"eth_chainId\",\"params\":[]}",
                RpcCodec.encodeUpstreamRequest(6, "eth_chainId", null).toString());
    }

    @Test
    void gatewayErrorsCarryTheirHttpStatus() {
        RpcAnswer e = RpcAnswer.error(RpcErrorCode.RESOURCE_UNAVAILABLE, "no \"healthy\" upstream");
        assertEquals(503, e.httpStatus());
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32002,\"message\":\"no \\\"healthy\\\" upstream\"}}",
                e.toBuffer(b("1")).toString());
    }
}
