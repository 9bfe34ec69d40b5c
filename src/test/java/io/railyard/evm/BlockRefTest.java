package io.railyard.evm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.railyard.jsonrpc.RpcRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;

class BlockRefTest {

    static final String H = "0x88e96d4537bea4d9c05d12549907b32561d3bf31f45aae734cdc119f13406cb6";
    static Optional<BlockRef> parseJson(String json) {
        return BlockRef.parseJson(json);
    }

    static RpcRequest req(String method, String params) {
        return new RpcRequest("1".getBytes(StandardCharsets.UTF_8), method, params == null ? null : params.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0} is block {1}")
    @CsvSource({"0x0, 0", "0x1, 1", "0x0001, 1", "0x1b4, 436", "0x1B4, 436", "0x7fffffffffffffff, 9223372036854775807",
            "0x00000000000000000000000000000010, 16"})
    void numbers(String text, long expected) {
        BlockRef ref = BlockRef.parse(text).orElseThrow();
        assertEquals(BlockRef.Kind.NUMBER, ref.kind());
        assertEquals(OptionalLong.of(expected), ref.blockNumber());
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @ValueSource(strings = {"", "0x", "0X10", "10", "x10", "0x-1", "0x1g", "0x8000000000000000", "0x10000000000000000",
            "Latest", "LATEST", " latest", "0x١", "0x88e96d4537bea4d9c05d12549907b32561d3bf31f45aae734cdc119f13406cb"})
    void rejected(String text) {
        assertEquals(Optional.empty(), BlockRef.parse(text));
    }

    @Test
    void tags() {
        for (BlockRef.Tag tag : BlockRef.Tag.values()) {
            BlockRef ref = BlockRef.parse(tag.name().toLowerCase()).orElseThrow();
            assertEquals(BlockRef.Kind.TAG, ref.kind());
            assertEquals(tag, ref.tag());
        }
        assertEquals(OptionalLong.of(0), BlockRef.parse("earliest").orElseThrow().blockNumber());
        assertEquals(OptionalLong.empty(), BlockRef.parse("latest").orElseThrow().blockNumber());
        assertEquals(OptionalLong.empty(), BlockRef.parse("finalized").orElseThrow().blockNumber());
    }

    @Test
    void finality() {
        assertTrue(BlockRef.number(10).isFinal(10));
        assertTrue(BlockRef.number(9).isFinal(10));
        assertFalse(BlockRef.number(11).isFinal(10));
        assertFalse(BlockRef.number(0).isFinal(-1));
        assertTrue(BlockRef.tag(BlockRef.Tag.EARLIEST).isFinal(0));
        assertFalse(BlockRef.tag(BlockRef.Tag.FINALIZED).isFinal(Long.MAX_VALUE));
        assertFalse(BlockRef.hash(H, false).isFinal(Long.MAX_VALUE));
    }

    @Test
    void hashes() {
        BlockRef bare = BlockRef.parse(H.toUpperCase().replace("0X", "0x")).orElseThrow();
        assertEquals(BlockRef.Kind.HASH, bare.kind());
        assertEquals(H, bare.hash());
        assertTrue(bare.isImmutableHash());

        BlockRef eip1898 = parseJson("{\"blockHash\":\"" + H + "\"}").orElseThrow();
        assertEquals(H, eip1898.hash());
        assertTrue(eip1898.isImmutableHash());
        assertTrue(parseJson("{\"blockHash\":\"" + H + "\",\"requireCanonical\":false}").orElseThrow().isImmutableHash());

        BlockRef canonical = parseJson("{\"blockHash\":\"" + H + "\",\"requireCanonical\":true}").orElseThrow();
        assertEquals(BlockRef.Kind.HASH, canonical.kind());
        assertTrue(canonical.requireCanonical());
        assertFalse(canonical.isImmutableHash());
    }

    @Test
    void eip1898Numbers() {
        assertEquals(BlockRef.number(16), parseJson("{\"blockNumber\":\"0x10\"}").orElseThrow());
        assertEquals(BlockRef.tag(BlockRef.Tag.SAFE), parseJson("{\"blockNumber\":\"safe\"}").orElseThrow());
    }

    @ParameterizedTest(name = "{0} is rejected")
    @ValueSource(strings = {"16", "null", "true", "[\"0x10\"]", "{}", "{\"blockHash\":\"0x12\"}", "{\"blockHash\":16}",
            "{\"blockNumber\":16}", "{\"blockNumber\":\"" + H + "\"}",
            "{\"blockHash\":\"" + H + "\",\"blockNumber\":\"0x10\"}",
            "{\"blockHash\":\"" + H + "\",\"requireCanonical\":\"yes\"}"})
    void rejectedJson(String json) {
        assertEquals(Optional.empty(), parseJson(json));
    }

    @Test
    void blockParamOfRequest() {
        assertEquals(Optional.of(BlockRef.number(16)), BlockRef.of(req("eth_getBalance", "[\"0xab\",\"0x10\"]")));
        assertEquals(Optional.of(BlockRef.number(16)), BlockRef.of(req("eth_getStorageAt", "[\"0xab\",\"0x0\",\"0x10\"]")));
        assertEquals(Optional.of(BlockRef.LATEST), BlockRef.of(req("eth_call", "[{\"to\":\"0xab\"}]")));
        assertEquals(Optional.of(BlockRef.LATEST), BlockRef.of(req("eth_getBalance", "[\"0xab\",null]")));
        assertEquals(Optional.empty(), BlockRef.of(req("eth_getBalance", "{\"block\":\"0x10\"}")));
        assertEquals(Optional.empty(), BlockRef.of(req("eth_blockNumber", "[]")));
        assertEquals(Optional.empty(), BlockRef.of(req("eth_getBlockByHash", "[\"" + H + "\",false]")));
    }

    @ParameterizedTest(name = "{0} {1} names {2}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "eth_getBlockByNumber | [\"0x10\",false] | 16",
            "eth_getBlockByNumber | [\"0x0010\",false] | 16",
            "eth_getBlockByNumber | [\"latest\",false] | none",
            "eth_getBlockByNumber | [\"earliest\",false] | 0",
            "eth_getBalance | [\"0xab\",\"0x1b4\"] | 436",
            "eth_getBalance | [\"0xab\",{\"blockNumber\":\"0x1b4\"}] | 436",
            "eth_getBalance | [\"0xab\",{\"blockHash\":\"" + H + "\"}] | none",
            "eth_getBalance | [\"0xab\"] | none",
            "eth_call | [{\"to\":\"0xab\",\"data\":\"0x70a08231\"},\"0x20\"] | 32",
            "eth_getProof | [\"0xab\",[\"0x0\"],\"0x30\"] | 48",
            "eth_estimateGas | [{\"to\":\"0xab\"},\"0x40\"] | 64",
            "eth_feeHistory | [\"0x4\",\"0x50\",[25]] | 80",
            "eth_getLogs | [{\"fromBlock\":\"0x10\",\"toBlock\":\"0x20\"}] | 32",
            "eth_getLogs | [{\"fromBlock\":\"0x30\",\"toBlock\":\"latest\"}] | 48",
            "eth_getLogs | [{\"fromBlock\":\"latest\",\"toBlock\":\"0x40\"}] | 64",
            "eth_getLogs | [{\"blockHash\":\"" + H + "\"}] | none",
            "eth_getLogs | [{}] | none",
            "eth_getTransactionByHash | [\"" + H + "\"] | none",
            "eth_blockNumber | [] | none",
            "trace_block | [\"0x10\"] | none",
    })
    void highestBlockNamed(String method, String params, Long expected) {
        OptionalLong named = BlockRef.highestBlockNamed(req(method, params));
        assertEquals(expected == null ? OptionalLong.empty() : OptionalLong.of(expected), named);
    }

    /** With the network's served head at 100 (or unknown, -1): the head a node must have reached to answer. */
    @ParameterizedTest(name = "{0} {1}, served head {2}: needs {3}")
    @CsvSource(delimiter = '|', value = {
            "eth_getBalance | [\"0xab\",\"0x1b4\"] | 100 | 436",
            "eth_getTransactionCount | [\"0xab\",\"pending\"] | 100 | 100",
            "eth_getTransactionCount | [\"0xab\",\"pending\"] | -1 | -1",
            "eth_getBalance | [\"0xab\",\"pending\"] | 100 | 100",
            "eth_call | [{\"to\":\"0xab\"},\"pending\"] | 100 | 100",
            "eth_getBlockByNumber | [\"pending\",false] | 100 | 100",
            "eth_getTransactionCount | [\"0xab\",\"latest\"] | 100 | -1",
            "eth_getTransactionCount | [\"0xab\"] | 100 | -1",
            "eth_getTransactionCount | [\"0xab\",\"safe\"] | 100 | -1",
            "eth_blockNumber | [] | 100 | -1",
            "eth_getTransactionByHash | [\"" + H + "\"] | 100 | -1",
    })
    void headNeeded(String method, String params, long servedHead, long expected) {
        assertEquals(expected, BlockRef.headNeeded(req(method, params), servedHead));
    }

    @Test
    void highestBlockNamedWithoutParams() {
        assertEquals(OptionalLong.empty(), BlockRef.highestBlockNamed(req("eth_getBalance", null)));
        assertEquals(OptionalLong.empty(), BlockRef.highestBlockNamed(req("eth_getLogs", null)));
    }
}
