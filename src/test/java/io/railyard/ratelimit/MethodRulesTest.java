package io.railyard.ratelimit;

import org.junit.jupiter.api.Test;

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
}
