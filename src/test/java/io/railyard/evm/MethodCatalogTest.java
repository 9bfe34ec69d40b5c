package io.railyard.evm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

class MethodCatalogTest {

    /** Every method DESIGN.md names, with its cache rule and block parameter index. */
    @ParameterizedTest(name = "{0}: {1} at {2}")
    @CsvSource({
            "eth_chainId, CHAIN_CONSTANT, -1",
            "net_version, CHAIN_CONSTANT, -1",
            "eth_getBlockByHash, BY_HASH, -1",
            "eth_getBlockTransactionCountByHash, BY_HASH, -1",
            "eth_getTransactionByBlockHashAndIndex, BY_HASH, -1",
            "eth_getUncleByBlockHashAndIndex, BY_HASH, -1",
            "eth_getUncleCountByBlockHash, BY_HASH, -1",
            "eth_getBlockByNumber, BY_BLOCK_PARAM, 0",
            "eth_getBlockTransactionCountByNumber, BY_BLOCK_PARAM, 0",
            "eth_getTransactionByBlockNumberAndIndex, BY_BLOCK_PARAM, 0",
            "eth_getUncleByBlockNumberAndIndex, BY_BLOCK_PARAM, 0",
            "eth_getUncleCountByBlockNumber, BY_BLOCK_PARAM, 0",
            "eth_getBlockReceipts, BY_BLOCK_PARAM, 0",
            "eth_getBalance, BY_BLOCK_PARAM, 1",
            "eth_getCode, BY_BLOCK_PARAM, 1",
            "eth_getStorageAt, BY_BLOCK_PARAM, 2",
            "eth_getTransactionCount, BY_BLOCK_PARAM, 1",
            "eth_call, BY_BLOCK_PARAM, 1",
            "eth_getProof, BY_BLOCK_PARAM, 2",
            "eth_getTransactionByHash, TX_BY_HASH, -1",
            "eth_getTransactionReceipt, TX_BY_HASH, -1",
            "eth_getLogs, LOGS, -1",
            "eth_estimateGas, NEVER, 1",
            "eth_createAccessList, NEVER, 1",
            "eth_feeHistory, NEVER, 1",
            "eth_blockNumber, NEVER, -1",
            "eth_gasPrice, NEVER, -1",
            "eth_maxPriorityFeePerGas, NEVER, -1",
            "eth_blobBaseFee, NEVER, -1",
            "eth_sendRawTransaction, NEVER, -1",
            "eth_sendTransaction, NEVER, -1",
            "eth_newFilter, NEVER, -1",
            "eth_newBlockFilter, NEVER, -1",
            "eth_newPendingTransactionFilter, NEVER, -1",
            "eth_getFilterChanges, NEVER, -1",
            "eth_getFilterLogs, NEVER, -1",
            "eth_uninstallFilter, NEVER, -1",
            "eth_subscribe, NEVER, -1",
            "eth_unsubscribe, NEVER, -1",
            "eth_syncing, NEVER, -1",
            "eth_accounts, NEVER, -1",
            "eth_coinbase, NEVER, -1",
            "eth_mining, NEVER, -1",
            "eth_hashrate, NEVER, -1",
            "eth_protocolVersion, NEVER, -1",
            "eth_getRawTransactionByHash, NEVER, -1",
            "web3_clientVersion, NEVER, -1",
            "web3_sha3, NEVER, -1",
            "net_listening, NEVER, -1",
            "net_peerCount, NEVER, -1",
    })
    void knownMethod(String method, CacheRule rule, int blockParam) {
        MethodSpec spec = MethodCatalog.spec(method);
        assertTrue(MethodCatalog.isKnown(method));
        assertTrue(MethodCatalog.knownMethods().contains(method));
        assertTrue(spec.known());
        assertEquals(method, spec.name());
        assertEquals(method, spec.metricTag());
        assertEquals(rule, spec.cacheRule());
        assertEquals(blockParam, spec.blockParam());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "eth_sendRawTransaction | WRITE BROADCAST",
            "eth_sendTransaction | WRITE NOT_RETRYABLE",
            "eth_sign | NOT_RETRYABLE",
            "eth_signTransaction | NOT_RETRYABLE",
            "eth_signTypedData_v4 | NOT_RETRYABLE",
            "eth_newFilter | FILTER_CREATE NOT_RETRYABLE",
            "eth_newBlockFilter | FILTER_CREATE NOT_RETRYABLE",
            "eth_newPendingTransactionFilter | FILTER_CREATE NOT_RETRYABLE",
            "eth_getFilterChanges | FILTER_USE",
            "eth_getFilterLogs | FILTER_USE",
            "eth_uninstallFilter | FILTER_USE",
            "eth_subscribe | SUBSCRIPTION",
            "eth_unsubscribe | SUBSCRIPTION",
            "eth_getTransactionReceipt | NULL_RECHECK",
            "eth_getTransactionByHash | NULL_RECHECK",
            "eth_getBlockByHash | NULL_RECHECK",
            "eth_getBlockByNumber | NULL_IF_NO_BLOCK",
            "eth_getBlockReceipts | NULL_IF_NO_BLOCK",
            "eth_call | ''",
            "eth_getLogs | ''",
            "eth_chainId | ''",
    })
    void traits(String method, String traits) {
        Set<Trait> expected = EnumSet.noneOf(Trait.class);
        for (String t : traits.split(" ")) {
            if (!t.isEmpty()) {
                expected.add(Trait.valueOf(t));
            }
        }
        MethodSpec spec = MethodCatalog.spec(method);
        assertEquals(expected, spec.traits());
        assertEquals(!expected.contains(Trait.NOT_RETRYABLE), spec.retryable());
    }

    @Test
    void unknownMethodIsAnUncachedRetryableRead() {
        MethodSpec spec = MethodCatalog.spec("trace_block");
        assertFalse(spec.known());
        assertFalse(MethodCatalog.isKnown("trace_block"));
        assertEquals("trace_block", spec.name());
        assertEquals("other", spec.metricTag());
        assertEquals(CacheRule.NEVER, spec.cacheRule());
        assertEquals(-1, spec.blockParam());
        assertTrue(spec.traits().isEmpty());
        assertTrue(spec.retryable());
        assertFalse(MethodCatalog.knownMethods().contains("trace_block"));
        assertEquals("other", MethodCatalog.spec(null).metricTag());
        // Method names are case-sensitive on the wire.
        assertFalse(MethodCatalog.isKnown("ETH_CALL"));
    }

    @Test
    void knownMethodsIsReadOnly() {
        Set<String> known = MethodCatalog.knownMethods();
        assertTrue(known.size() >= 60);
        assertThrows(UnsupportedOperationException.class, () -> known.add("x_y"));
    }

    @Test
    void deniedDefaults() {
        assertEquals(List.of("admin_", "personal_", "debug_", "miner_", "engine_", "clique_", "txpool_"),
                MethodCatalog.DEFAULT_DENIED_PREFIXES);
        assertTrue(MethodCatalog.DEFAULT_DENIED_METHODS.containsAll(List.of("eth_sendTransaction", "eth_sign",
                "eth_signTransaction", "eth_signTypedData", "eth_signTypedData_v3", "eth_signTypedData_v4")));
    }
}
