package io.railyard.access;

import io.railyard.access.limit.Limit;
import io.railyard.evm.MethodCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MethodRulesTest {

    @Test
    void networkDenyListWithExceptions() {
        MethodRules rules = MethodRules.network(List.of("debug_", "admin_*", "eth_sendTransaction"), List.of("debug_traceTransaction"));
        assertTrue(rules.refuses("debug_traceCall"));
        assertTrue(rules.refuses("ADMIN_peers"), "case does not matter");
        assertTrue(rules.refuses("eth_sendTransaction"));
        assertFalse(rules.refuses("debug_traceTransaction"), "an exception to the deny list");
        assertFalse(rules.refuses("eth_call"));
        assertFalse(rules.refuses("eth_sendTransactionX"), "exact names are not prefixes");
    }

    @Test
    void keyAllowListIsExclusiveAndDenyComesOnTop() {
        MethodRules rules = MethodRules.key(List.of("eth_", "net_version"), List.of("eth_getLogs"));
        assertFalse(rules.refuses("eth_call"));
        assertFalse(rules.refuses("net_version"));
        assertTrue(rules.refuses("net_peerCount"));
        assertTrue(rules.refuses("eth_getLogs"));
        assertTrue(rules.refuses("web3_clientVersion"));
    }

    @Test
    void keyWithoutAllowListOnlyDenies() {
        MethodRules rules = MethodRules.key(null, List.of("eth_getLogs"));
        assertTrue(rules.refuses("eth_getLogs"));
        assertFalse(rules.refuses("trace_block"));
        assertFalse(MethodRules.NONE.refuses("anything"));
    }

    @Test
    void keysAreFoundByTheirHashOnly() {
        ApiKeys keys = new ApiKeys();
        ApiKey key = new ApiKey("dapp", Limit.UNLIMITED, null, MethodRules.NONE);
        keys.add(ApiKeys.sha256Hex("s3cret"), key);
        assertEquals(key, keys.find("s3cret"));
        assertNull(keys.find("S3cret"));
        assertNull(keys.find(""));
        assertNull(keys.find(null));
        assertEquals("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", ApiKeys.sha256Hex("secret"));
        assertTrue(ApiKeys.isSha256Hex(ApiKeys.sha256Hex("x")));
    }

    private static final MethodRules BUILT_IN = MethodRules.network(MethodCatalog.defaultDenied(), List.of());

    @ParameterizedTest
    @ValueSource(strings = {"admin_peers", "admin_addPeer", "personal_unlockAccount", "debug_traceTransaction",
            "miner_start", "engine_newPayloadV3", "clique_getSigners", "txpool_content", "Admin_peers", "DEBUG_traceCall",
            "eth_sendTransaction", "eth_sign", "eth_signTransaction", "eth_signTypedData", "eth_signTypedData_v3",
            "eth_signTypedData_v4", "ETH_SIGN"})
    void deniedByTheBuiltInList(String method) {
        assertTrue(BUILT_IN.refuses(method));
    }

    @ParameterizedTest
    @ValueSource(strings = {"eth_sendRawTransaction", "eth_call", "eth_getLogs", "eth_chainId", "net_version",
            "web3_clientVersion", "trace_block", "eth_signatureless", "administrator", "debug"})
    void allowedByTheBuiltInList(String method) {
        assertFalse(BUILT_IN.refuses(method));
    }
}
