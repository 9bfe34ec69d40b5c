package io.railyard.cache;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Cache keys: formatting never splits a key, and nothing a node could read differently ever shares one. */
class CacheKeyTest {

    private static CacheKey key(String params) {
        return key("mainnet", "eth_call", params);
    }

    private static CacheKey key(String network, String method, String params) {
        return CacheKey.of(network, method, params == null ? null : params.getBytes(StandardCharsets.UTF_8));
    }

    private static void same(String a, String b) {
        CacheKey ka = key(a);
        CacheKey kb = key(b);
        assertNotNull(ka, a);
        assertNotNull(kb, b);
        assertEquals(ka, kb, a + " and " + b + " must share a key");
        assertEquals(ka.hashCode(), kb.hashCode());
    }

    private static void different(String a, String b) {
        CacheKey ka = key(a);
        CacheKey kb = key(b);
        assertNotNull(ka, a);
        assertNotNull(kb, b);
        assertNotEquals(ka, kb, a + " and " + b + " must not share a key");
    }

    @Test
    void whitespaceDoesNotSplitKeys() {
        same("[\"0x1\",true]", " [ \"0x1\" ,\n\t true ] ");
        same("[{\"to\":\"0xab\",\"data\":\"0x01\"},\"0x10\"]",
                "[\r\n  {\r\n    \"to\" : \"0xab\",\r\n    \"data\" : \"0x01\"\r\n  },\r\n  \"0x10\"\r\n]");
        same("[]", "[ ]");
        same("{}", " { } ");
    }

    @Test
    void objectKeyOrderDoesNotSplitKeysAtAnyDepth() {
        same("[{\"to\":\"0xab\",\"data\":\"0x01\",\"from\":\"0xcd\"},\"0x10\"]",
                "[{\"from\":\"0xcd\",\"data\":\"0x01\",\"to\":\"0xab\"},\"0x10\"]");
        same("[{\"address\":[\"0x1\"],\"topics\":[[\"0xa\",\"0xb\"],null],\"o\":{\"z\":1,\"a\":{\"y\":2,\"b\":3}}}]",
                "[{\"o\":{\"a\":{\"b\":3,\"y\":2},\"z\":1},\"topics\":[[\"0xa\",\"0xb\"],null],\"address\":[\"0x1\"]}]");
    }

    @Test
    void canonicalFormIsCompactAndSorted() {
        assertEquals("[{\"a\":1,\"b\":[2,{\"c\":null,\"d\":true}]},\"x\"]",
                key(" [ { \"b\" : [ 2 , { \"d\" : true , \"c\" : null } ] , \"a\" : 1 } , \"x\" ] ").canonicalParams());
    }

    @Test
    void hexQuantitiesAreNeverNormalised() {
        different("[\"0x1\",false]", "[\"0x01\",false]");
        different("[\"0x64\",false]", "[\"0x0064\",false]");
        different("[\"0xab\",false]", "[\"0xAB\",false]");
        different("[\"0x" + "ab".repeat(32) + "\"]", "[\"0x" + "AB".repeat(32) + "\"]");
    }

    @Test
    void numbersKeepTheirText() {
        different("[1]", "[1.0]");
        different("[100]", "[1e2]");
        different("[1.5]", "[1.50]");
        different("[1e2]", "[1E2]");
        different("[0]", "[-0]");
        String big = "[123456789012345678901234567890,1.000000000000000000000000001]";
        assertEquals(big, key(big).canonicalParams(), "big and precise numbers are kept byte for byte");
        different("[123456789012345678901234567890]", "[123456789012345678901234567891]");
    }

    @Test
    void stringsKeepTheirContent() {
        different("[\"latest\"]", "[\"Latest\"]");
        different("[\"a\"]", "[\"a \"]");
        // The same string written with and without an escape is the same value to every node.
        same("[\"A\\u00e9\"]", "[\"Aé\"]");
        assertEquals("[\"line\\nbreak \\\"q\\\"\"]", key("[\"line\\nbreak \\\"q\\\"\"]").canonicalParams());
    }

    @Test
    void arrayOrderMatters() {
        different("[\"0x1\",\"0x2\"]", "[\"0x2\",\"0x1\"]");
        different("[{\"topics\":[\"0xa\",\"0xb\"]}]", "[{\"topics\":[\"0xb\",\"0xa\"]}]");
        different("[\"0x1\",true]", "[true,\"0x1\"]");
    }

    @Test
    void typesAreNotConflated() {
        different("[true]", "[\"true\"]");
        different("[null]", "[]");
        different("[1]", "[\"1\"]");
        different("[[]]", "[{}]");
        different("[\"0x1\"]", "[\"0x1\",null]");
    }

    @Test
    void networkAndMethodArePartOfTheKey() {
        String params = "[\"0x10\",false]";
        CacheKey base = key("mainnet", "eth_getBlockByNumber", params);
        assertEquals(base, key("mainnet", "eth_getBlockByNumber", params));
        assertNotEquals(base, key("sepolia", "eth_getBlockByNumber", params));
        assertNotEquals(base, key("mainnet", "eth_getBlockTransactionCountByNumber", params));
        assertNotEquals(base, key("mainnet", "eth_getblockbynumber", params));
        assertEquals("mainnet", base.network());
        assertEquals("eth_getBlockByNumber", base.method());
    }

    @Test
    void absentParamsAreTheEmptyArray() {
        assertEquals(key("[]"), key((String) null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "[", "[1,", "[\"0x1\"", "{\"a\":}", "{\"a\" 1}", "nope", "[0x10]",
            "[\"unterminated]", "{\"a\":1,}", "[1,,2]", "['single']"})
    void invalidJsonParamsGiveNoKey(String params) {
        assertNull(key(params), "not JSON: " + params);
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1] [2]", "[\"0x1\"]garbage", "{} {}", "[1]]"})
    void trailingContentAfterTheValueIsNotValidJson(String params) {
        // Two values, or one followed by garbage, is not JSON; a key made from the first value alone would let
        // such params share a key with a different request.
        assertNull(key(params), "not one JSON value: " + params);
    }
}
