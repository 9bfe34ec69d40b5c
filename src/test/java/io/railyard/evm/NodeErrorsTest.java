package io.railyard.evm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeErrorsTest {

    @ParameterizedTest(name = "[{0}] {1}")
    @CsvSource(delimiter = '|', value = {
            "-32000 | header not found",
            "-32000 | Header not found",
            "-32000 | missing trie node 4d3b1f6c8e2a (path ) state 0x12 is not available, not found",
            "-32000 | unknown block",
            "-32000 | block not found",
            "-39001 | Unknown block",
            "-32000 | required historical state unavailable (reexec=128)",
            "-32000 | historical state not available in path scheme yet",
            "-32000 | World state unavailable",
            "-32002 | No state available for block 0x12ab",
            "-32000 | state at block #123 is pruned",
            "-32001 | Resource not found",
            "-32001 | Block 0x88e9 could not find block",
            "-32000 | block range extends beyond current head block",
            "-32602 | BlockOutOfRangeError: block height is 35 but requested was 36",
    })
    void missingData(int code, String message) {
        assertTrue(NodeErrors.meansMissingData(code, message));
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @CsvSource(delimiter = '|', value = {
            "3 | execution reverted",
            "3 | execution reverted: block not found",
            "3 | header not found",
            "-32000 | execution reverted: header not found",
            "-32000 | nonce too low",
            "-32000 | insufficient funds for gas * price + value",
            "-32602 | invalid argument 0: hex string without 0x prefix",
            "-32602 | unknown block tag: lates",
            "-32602 | invalid block: BlockOutOfRangeError",
            "-32601 | the method eth_foo does not exist/is not available",
            "-32005 | query returned more than 10000 results",
            "-32000 | already known",
            "0 | ''",
    })
    void notMissingData(int code, String message) {
        assertFalse(NodeErrors.meansMissingData(code, message));
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @CsvSource(delimiter = '|', value = {
            "-32000 | already known",
            "-32000 | ALREADY KNOWN",
            "-32010 | AlreadyKnown",
            "-32000 | known transaction: 33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788",
            "-32000 | Known transaction",
            "-32010 | Transaction with the same hash was already imported. transaction already imported",
            "-32000 | transaction already exists in the pool",
    })
    void alreadyKnown(int code, String message) {
        assertTrue(NodeErrors.isAlreadyKnown(code, message));
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @CsvSource(delimiter = '|', value = {
            "-32000 | nonce too low",
            "-32000 | replacement transaction underpriced",
            "-32000 | unknown transaction type",
            "-32000 | header not found",
            "3 | execution reverted: already known",
            "3 | already known",
            "-32602 | invalid argument 0: already known",
            "0 | ''",
    })
    void notAlreadyKnown(int code, String message) {
        assertFalse(NodeErrors.isAlreadyKnown(code, message));
    }
}
