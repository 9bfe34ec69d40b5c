package io.railyard.evm;

import io.railyard.jsonrpc.RpcRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which reads are pinned to the network's head, and how their params are rewritten (every other byte kept). */
class HeadPinTest {

    private static RpcRequest req(String method, String params) {
        return new RpcRequest("1".getBytes(), method, params == null ? null : params.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', nullValues = "NONE", value = {
            "eth_getBalance | [\"0xabc\",\"latest\"] | LATEST",
            "eth_getBalance | [\"0xabc\"] | LATEST",
            "eth_getBalance | [\"0xabc\",\"finalized\"] | FINALIZED",
            "eth_getBalance | [\"0xabc\",\"pending\"] | NONE",
            "eth_getBalance | [\"0xabc\",\"safe\"] | SAFE",
            "eth_getBlockByNumber | [\"safe\",false] | SAFE",
            "eth_getBalance | [\"0xabc\",\"0x10\"] | NONE",
            "eth_getBalance | [\"0xabc\",{\"blockHash\":\"0x1111111111111111111111111111111111111111111111111111111111111111\"}] | NONE",
            "eth_call | [{\"to\":\"0xabc\",\"data\":\"0x\"},\"latest\"] | LATEST",
            "eth_call | [{\"to\":\"0xabc\"}] | LATEST",
            "eth_getBlockByNumber | [\"latest\",false] | LATEST",
            "eth_getStorageAt | [\"0xabc\",\"0x0\",\"latest\"] | LATEST",
            "eth_getProof | [\"0xabc\",[],\"latest\"] | LATEST",
            "eth_estimateGas | [{\"to\":\"0xabc\"},\"latest\"] | NONE",
            "eth_feeHistory | [\"0x4\",\"latest\",[]] | NONE",
            "eth_blockNumber | [] | NONE",
            "eth_getLogs | [{\"fromBlock\":\"latest\"}] | NONE",
            "eth_getBalance | {\"a\":1} | NONE"})
    void whichReadsArePinned(String method, String params, String expected) {
        Optional<HeadPin.Target> target = HeadPin.target(req(method, params));
        assertEquals(expected == null ? Optional.empty() : Optional.of(HeadPin.Target.valueOf(expected)), target);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "eth_getBalance | [\"0xabc\",\"latest\"] | [\"0xabc\",\"0x2a\"]",
            "eth_getBalance | [ \"0xabc\" , \"latest\" ] | [ \"0xabc\" , \"0x2a\" ]",
            "eth_getBalance | [\"0xabc\"] | [\"0xabc\",\"0x2a\"]",
            "eth_getBalance | [\"0xabc\" ] | [\"0xabc\" ,\"0x2a\"]",
            "eth_getBlockByNumber | [\"latest\",true] | [\"0x2a\",true]",
            "eth_getBlockByNumber | [] | [\"0x2a\"]",
            "eth_call | [{\"to\":\"0xabc\",\"value\":12345678901234567890123},\"latest\"] | [{\"to\":\"0xabc\",\"value\":12345678901234567890123},\"0x2a\"]",
            "eth_call | [{\"data\":\"0x\\u0041\"},\"finalized\"] | [{\"data\":\"0x\\u0041\"},\"0x2a\"]",
            "eth_getStorageAt | [\"0xabc\",\"0x0\",\"latest\"] | [\"0xabc\",\"0x0\",\"0x2a\"]"})
    void pinningRewritesOnlyTheBlockParameter(String method, String params, String expected) {
        RpcRequest pinned = HeadPin.pinned(req(method, params), 42).orElseThrow();
        assertEquals(expected, new String(pinned.params(), StandardCharsets.UTF_8));
        assertEquals("1", new String(pinned.id()), "the client's id is kept");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"eth_getStorageAt | [\"0xabc\"]", "eth_getBalance | {\"a\":1}", "eth_getBalance | [\"0xabc\""})
    void paramsThatCannotBeRewrittenSafelyAreLeftAlone(String method, String params) {
        assertEquals(Optional.empty(), HeadPin.pinned(req(method, params), 42));
    }

    @ParameterizedTest(name = "{0} {1} answered {2} -> {3}")
    @CsvSource(delimiter = '|', value = {
            "eth_blockNumber | [] | \"0x2a\" | 42",
            "eth_blockNumber | [] | \" 0x2a\" | -1",
            "eth_blockNumber | [] | 42 | -1",
            "eth_getTransactionReceipt | [\"0x1\"] | {\"blockNumber\":\"0x10\",\"status\":\"0x1\"} | 16",
            "eth_getTransactionByHash | [\"0x1\"] | {\"blockNumber\":null} | -1",
            "eth_getBalance | [\"0xabc\",\"0x11\"] | \"0x0\" | 17",
            "eth_getBalance | [\"0xabc\",\"latest\"] | \"0x0\" | -1",
            "eth_getBlockByNumber | [\"0x12\",false] | null | -1",
            "eth_getBlockByNumber | [\"0x12\",false] | {\"number\":\"0x12\"} | 18",
            "eth_gasPrice | [] | \"0x2a\" | -1"})
    void answersShowWhichBlockTheirNodeHas(String method, String params, String result, long expected) {
        assertEquals(expected, HeadEvidence.blockShown(req(method, params),
                io.railyard.jsonrpc.RpcAnswer.result(result.getBytes(StandardCharsets.UTF_8))));
    }
}
