package io.railyard.reliability;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcBody;
import io.railyard.jsonrpc.RpcCodec;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.jsonrpc.RpcItem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A random-mutation fuzz of the JSON-RPC codec with a fixed seed (reproducible): 20,000 bodies made from valid
 * requests by flipping, inserting, deleting, duplicating and splicing bytes, truncating and nesting. For each body,
 * {@link RpcCodec#decode} must not throw, and the answer the gateway would build from what it returns (exactly as
 * {@code RpcGateway} does: {@link RpcAnswer#toBuffer} / {@link RpcAnswer#writeTo} with each entry's reply id) must be
 * valid JSON-RPC 2.0: JSON, {@code "jsonrpc":"2.0"}, an id that is a string, a number or null, and exactly one of a
 * result and an error with an integer code and a string message.
 */
class CodecFuzzTest {

    static final long SEED = 42;
    static final int MUTATIONS = 20_000;

    /** Valid requests the mutations start from. */
    static final List<String> SEEDS = List.of(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"}",
            "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"eth_getBalance\",\"params\":[\"0x407d73d8a49eeb85d32cf465507dd71d507100c1\",\"latest\"]}",
            "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"method\":\"eth_getBlockByNumber\",\"params\":[\"0x1b4\",true]}",
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"eth_call\",\"params\":[{\"to\":\"0x01\",\"data\":\"0xabcdef\"},{\"blockHash\":\"0x"
                    + "ab".repeat(32) + "\",\"requireCanonical\":true}]}",
            "{\"jsonrpc\":\"2.0\",\"id\":-1.5e10,\"method\":\"eth_getLogs\",\"params\":[{\"fromBlock\":\"0x1\",\"toBlock\":\"0x2\","
                    + "\"topics\":[null,[\"0x01\",\"0x02\"]]}]}",
            "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}",
            "{ \"id\" : \"é☃\\u00e9\\\"\" , \"method\" : \"net_version\" , \"jsonrpc\" : \"2.0\" , \"params\" : { } }",
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_blockNumber\","
                    + "\"params\":[]},{\"jsonrpc\":\"2.0\",\"method\":\"eth_gasPrice\"}]",
            "[{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"eth_getTransactionReceipt\",\"params\":[\"0x" + "cd".repeat(32) + "\"]}]",
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_sendRawTransaction\",\"params\":[\"0xf86c0985\"]}",
            "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"eth_getStorageAt\",\"params\":[\"0x01\",\"0x0\",\"earliest\"],\"extra\":[[[1]],{\"a\":{}}]}");

    /** Bytes and tokens that JSON parsers care about. */
    private static final String[] TOKENS = {"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800", "null", "true", "false",
            "-", "0", "1e999", "-0.0e-0", "9".repeat(40), " ", "\n", "\u0000", "\u00ff", "é", "\"id\":", "\"method\":", "\"params\":",
            "\"jsonrpc\":\"2.0\"", "[[[[[[[[", "]]]]", "{\"a\":", "/*", "NaN", "\uFEFF"};

    private static final String PUNCTUATION = "{}[]\",:\\ 0-e.tnfu";

    private final RpcCodec codec = new RpcCodec(RpcCodec.Limits.DEFAULT);

    @Test
    void noExceptionEscapesAndEveryAnswerIsValidJsonRpc() {
        Map<String, Integer> seen = new TreeMap<>();
        List<byte[]> bodies = mutations(SEED, MUTATIONS);
        for (int i = 0; i < bodies.size(); i++) {
            byte[] body = bodies.get(i);
            RpcBody decoded;
            try {
                decoded = codec.decode(body);
            } catch (Throwable t) {
                throw new AssertionError("mutation " + i + ": decode threw " + t + " on " + show(body), t);
            }
            assertNotNull(decoded, "mutation " + i);
            try {
                check(decoded, seen);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("mutation " + i + " " + show(body) + ": " + e.getMessage(), e);
            }
        }
        for (String kind : List.of("failed:INVALID_REQUEST", "failed:BATCH_TOO_LARGE")) {
            assertTrue(seen.getOrDefault(kind, 0) >= 1, "the fuzz never reached " + kind + ": " + seen);
        }
        System.out.println("codec fuzz: " + MUTATIONS + " mutations (seed " + SEED + "): " + seen);
        // The fuzz must reach every kind of outcome, or it proves little.
        for (String kind : List.of("failed:PARSE_ERROR", "single:valid", "single:invalid", "batch", "batch:valid", "batch:invalid")) {
            assertTrue(seen.getOrDefault(kind, 0) >= 100, "the fuzz reached " + kind + " only " + seen.getOrDefault(kind, 0) + " times: " + seen);
        }
    }

    @Test
    void theMutationsAreReproducible() {
        List<byte[]> a = mutations(SEED, 500);
        List<byte[]> b = mutations(SEED, 500);
        for (int i = 0; i < a.size(); i++) {
            assertTrue(Arrays.equals(a.get(i), b.get(i)), "mutation " + i);
        }
    }

    private void check(RpcBody decoded, Map<String, Integer> seen) {
        if (decoded instanceof RpcBody.Failed failed) {
            count(seen, "failed:" + failed.code().name());
            assertNotNull(failed.code());
            assertNotNull(failed.message());
            JsonObject answer = single(RpcAnswer.error(failed.code(), failed.message()).toBuffer(RpcAnswer.NULL));
            assertEquals(null, answer.getValue("id"));
            assertEquals(failed.code().code(), answer.getJsonObject("error").getInteger("code"));
            assertEquals(failed.message(), answer.getJsonObject("error").getString("message"));
            assertTrue(failed.code() == RpcErrorCode.PARSE_ERROR || failed.code() == RpcErrorCode.INVALID_REQUEST
                    || failed.code() == RpcErrorCode.BATCH_TOO_LARGE, failed.toString());
            return;
        }
        if (decoded instanceof RpcBody.Single single) {
            count(seen, "single:" + (single.item() instanceof RpcItem.Valid ? "valid" : "invalid"));
            RpcAnswer answer = answerFor(single.item());
            JsonObject parsed = single(answer.toBuffer(single.item().replyId()));
            assertEquals(expectedId(single.item()), parsed.getValue("id"), "the id comes back as sent");
            return;
        }
        RpcBody.Batch batch = (RpcBody.Batch) decoded;
        count(seen, "batch");
        assertFalse(batch.items().isEmpty(), "an empty batch is a Failed body");
        assertTrue(batch.items().size() <= RpcCodec.Limits.DEFAULT.maxBatchItems());
        // As RpcGateway writes a batch answer.
        Buffer out = Buffer.buffer().appendByte((byte) '[');
        List<Object> ids = new ArrayList<>();
        boolean first = true;
        for (RpcItem item : batch.items()) {
            count(seen, "batch:" + (item instanceof RpcItem.Valid ? "valid" : "invalid"));
            if (item instanceof RpcItem.Valid v && v.request().isNotification()) {
                continue;
            }
            if (!first) {
                out.appendByte((byte) ',');
            }
            first = false;
            answerFor(item).writeTo(out, item.replyId());
            ids.add(expectedId(item));
        }
        if (first) {
            return; // only notifications: 204, no body
        }
        Object parsed = parse(out.appendByte((byte) ']'));
        assertTrue(parsed instanceof JsonArray, "a batch is answered with an array");
        JsonArray answers = (JsonArray) parsed;
        assertEquals(ids.size(), answers.size());
        for (int i = 0; i < answers.size(); i++) {
            assertTrue(answers.getValue(i) instanceof JsonObject);
            shape(answers.getJsonObject(i));
            assertEquals(ids.get(i), answers.getJsonObject(i).getValue("id"), "entry " + i + ": id, in order");
        }
    }

    /** What the gateway answers an entry with: its own error for an invalid one, a node's result for a valid one. */
    private static RpcAnswer answerFor(RpcItem item) {
        if (item instanceof RpcItem.Invalid invalid) {
            assertNotNull(invalid.code());
            assertNotNull(invalid.message());
            return RpcAnswer.error(invalid.code(), invalid.message());
        }
        RpcItem.Valid valid = (RpcItem.Valid) item;
        String method = valid.request().method();
        assertNotNull(method);
        assertFalse(method.isEmpty(), "an empty method is invalid");
        assertTrue(method.length() <= RpcCodec.Limits.DEFAULT.maxMethodLength(), "method length is bounded");
        byte[] params = valid.request().params();
        if (params != null) {
            Object p = parse(Buffer.buffer(params));
            assertTrue(p instanceof JsonArray || p instanceof JsonObject, "params are an array or an object: " + p);
        }
        // The request the gateway would send upstream must be valid JSON too.
        Object upstream = parse(RpcCodec.encodeUpstreamRequest(1, method, params));
        assertTrue(upstream instanceof JsonObject);
        return RpcAnswer.result("\"0x1\"".getBytes(StandardCharsets.US_ASCII));
    }

    /** The id the client sent, as a JSON value (null when it could not be read). */
    private static Object expectedId(RpcItem item) {
        byte[] raw = item.replyId();
        Object id = parse(Buffer.buffer("[").appendBytes(raw).appendString("]"));
        assertTrue(id instanceof JsonArray a && a.size() == 1, "the id is one JSON value");
        Object value = ((JsonArray) id).getValue(0);
        assertTrue(value == null || value instanceof String || value instanceof Number, "id is a string, a number or null: " + value);
        return value;
    }

    private static JsonObject single(Buffer answer) {
        Object parsed = parse(answer);
        assertTrue(parsed instanceof JsonObject, "one answer is a JSON object");
        JsonObject a = (JsonObject) parsed;
        shape(a);
        return a;
    }

    static void shape(JsonObject a) {
        assertEquals("2.0", a.getValue("jsonrpc"));
        assertTrue(a.containsKey("id"));
        Object id = a.getValue("id");
        assertTrue(id == null || id instanceof String || id instanceof Number, "id: " + id);
        assertTrue(a.containsKey("result") ^ a.containsKey("error"), "result xor error: " + a.encode());
        if (a.containsKey("error")) {
            JsonObject error = a.getJsonObject("error");
            assertTrue(error.getValue("code") instanceof Integer);
            assertTrue(error.getValue("message") instanceof String);
        }
    }

    private static Object parse(Buffer json) {
        try {
            return Json.decodeValue(json);
        } catch (DecodeException e) {
            fail("not valid JSON: " + show(json.getBytes()) + ": " + e.getMessage());
            return null;
        }
    }

    private static void count(Map<String, Integer> seen, String kind) {
        seen.merge(kind, 1, Integer::sum);
    }

    static String show(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 300), StandardCharsets.ISO_8859_1)
                .replaceAll("[^\\x20-\\x7e]", "?");
        return "[" + body.length + " bytes] " + s + (body.length > 300 ? "..." : "");
    }

    // ---------------------------------------------------------------- the mutator

    /** {@code count} mutated bodies, the same for the same seed. */
    static List<byte[]> mutations(long seed, int count) {
        Random random = new Random(seed);
        List<byte[]> seeds = SEEDS.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        List<byte[]> pool = new ArrayList<>(seeds);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            // Mostly start from a pristine request; sometimes keep mutating an earlier mutant.
            byte[] base = random.nextInt(4) == 0 ? pool.get(random.nextInt(pool.size())) : seeds.get(random.nextInt(seeds.size()));
            byte[] body = base;
            int rounds = 1 + random.nextInt(random.nextInt(8) == 0 ? 12 : 3);
            for (int r = 0; r < rounds; r++) {
                body = mutate(body, random, seeds);
            }
            out.add(body);
            if (body.length < 20_000) {
                if (pool.size() < 500) {
                    pool.add(body);
                } else {
                    pool.set(random.nextInt(pool.size()), body);
                }
            }
        }
        return out;
    }

    private static byte[] mutate(byte[] in, Random random, List<byte[]> seeds) {
        int n = in.length;
        int op = random.nextInt(12);
        if (n == 0 && op < 9) {
            op = 4;
        }
        switch (op) {
            case 0 -> { // flip a bit
                byte[] b = in.clone();
                b[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
                return b;
            }
            case 1 -> { // overwrite a byte with anything
                byte[] b = in.clone();
                b[random.nextInt(n)] = (byte) random.nextInt(256);
                return b;
            }
            case 2 -> { // overwrite a byte with JSON punctuation
                byte[] b = in.clone();
                b[random.nextInt(n)] = (byte) PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length()));
                return b;
            }
            case 3 -> { // insert random bytes
                byte[] junk = new byte[1 + random.nextInt(8)];
                random.nextBytes(junk);
                return insert(in, random.nextInt(n + 1), junk);
            }
            case 4 -> { // insert a token
                return insert(in, random.nextInt(n + 1), TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
            }
            case 5 -> { // delete a range
                int from = random.nextInt(n);
                int len = 1 + random.nextInt(Math.min(16, n - from));
                return concat(Arrays.copyOfRange(in, 0, from), Arrays.copyOfRange(in, from + len, n));
            }
            case 6 -> { // truncate
                return Arrays.copyOf(in, random.nextInt(n));
            }
            case 7 -> { // duplicate a range somewhere
                int from = random.nextInt(n);
                int len = 1 + random.nextInt(Math.min(40, n - from));
                return insert(in, random.nextInt(n + 1), Arrays.copyOfRange(in, from, from + len));
            }
            case 8 -> { // splice: this one's head, another request's tail
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                return concat(Arrays.copyOf(in, random.nextInt(n + 1)), Arrays.copyOfRange(other, random.nextInt(other.length), other.length));
            }
            case 9 -> { // repeat a short slice many times (deep nesting, long numbers, huge batches of one token)
                int from = random.nextInt(Math.max(1, n));
                int len = Math.min(n - from, 1 + random.nextInt(3));
                byte[] slice = len <= 0 ? "[".getBytes(StandardCharsets.US_ASCII) : Arrays.copyOfRange(in, from, from + len);
                ByteArrayOutputStream rep = new ByteArrayOutputStream();
                int times = 2 + random.nextInt(random.nextBoolean() ? 100 : 2000);
                for (int t = 0; t < times; t++) {
                    rep.writeBytes(slice);
                }
                return insert(in, random.nextInt(n + 1), rep.toByteArray());
            }
            case 10 -> { // wrap in a batch (or in many)
                int depth = random.nextInt(5) == 0 ? 1 + random.nextInt(100) : 1;
                return concat(concat("[".repeat(depth).getBytes(StandardCharsets.US_ASCII), in), "]".repeat(depth).getBytes(StandardCharsets.US_ASCII));
            }
            default -> { // a batch of several bodies, duplicates included
                ByteArrayOutputStream batch = new ByteArrayOutputStream();
                batch.write('[');
                int items = 1 + random.nextInt(random.nextInt(10) == 0 ? 1100 : 6);
                for (int k = 0; k < items; k++) {
                    if (k > 0) {
                        batch.write(',');
                    }
                    batch.writeBytes(random.nextBoolean() ? in : seeds.get(random.nextInt(seeds.size())));
                }
                batch.write(']');
                return batch.toByteArray();
            }
        }
    }

    private static byte[] insert(byte[] in, int at, byte[] what) {
        return concat(concat(Arrays.copyOf(in, at), what), Arrays.copyOfRange(in, at, in.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
