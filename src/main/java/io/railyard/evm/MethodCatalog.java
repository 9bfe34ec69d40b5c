package io.railyard.evm;

import static io.railyard.evm.CacheRule.BY_BLOCK_PARAM;
import static io.railyard.evm.CacheRule.BY_HASH;
import static io.railyard.evm.CacheRule.CHAIN_CONSTANT;
import static io.railyard.evm.CacheRule.LOGS;
import static io.railyard.evm.CacheRule.NEVER;
import static io.railyard.evm.CacheRule.TX_BY_HASH;
import static io.railyard.evm.Trait.BROADCAST;
import static io.railyard.evm.Trait.FILTER_CREATE;
import static io.railyard.evm.Trait.FILTER_USE;
import static io.railyard.evm.Trait.NOT_RETRYABLE;
import static io.railyard.evm.Trait.NULL_IF_NO_BLOCK;
import static io.railyard.evm.Trait.NULL_RECHECK;
import static io.railyard.evm.Trait.SUBSCRIPTION;
import static io.railyard.evm.Trait.WRITE;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Ethereum JSON-RPC methods the gateway knows, as one table of data. Everything method-specific
 * (caching, retries, stickiness, routing by block) is read from here rather than spread through the code.
 */
public final class MethodCatalog {

    /** Namespaces that expose node administration, keys or consensus internals: never for public clients. */
    public static final List<String> DEFAULT_DENIED_PREFIXES =
            List.of("admin_", "personal_", "debug_", "miner_", "engine_", "clique_", "txpool_");

    /** Methods that use keys held by the node; a shared gateway must not sign for whoever asks. */
    public static final List<String> DEFAULT_DENIED_METHODS = List.of("eth_sendTransaction", "eth_sign",
            "eth_signTransaction", "eth_signTypedData", "eth_signTypedData_v3", "eth_signTypedData_v4");

    /**
     * Rate-limit cost of methods that make a node work much harder than a lookup (scans, EVM execution, proofs,
     * traces); everything else costs 1. Prefix entries end in {@code _}.
     */
    public static final Map<String, Integer> DEFAULT_COSTS = Map.ofEntries(
            Map.entry("eth_getLogs", 10), Map.entry("eth_getFilterLogs", 10), Map.entry("eth_newFilter", 2),
            Map.entry("eth_call", 2), Map.entry("eth_estimateGas", 2), Map.entry("eth_createAccessList", 2),
            Map.entry("eth_simulateV1", 5), Map.entry("eth_getProof", 5), Map.entry("eth_getBlockReceipts", 5),
            Map.entry("eth_feeHistory", 2), Map.entry("debug_", 20), Map.entry("trace_", 20));

    /** The built-in cost of a method: an exact entry, else a prefix entry, else 1. */
    public static int defaultCost(String method) {
        Integer exact = DEFAULT_COSTS.get(method);
        if (exact != null) {
            return exact;
        }
        int underscore = method.indexOf('_');
        if (underscore > 0) {
            Integer prefix = DEFAULT_COSTS.get(method.substring(0, underscore + 1));
            if (prefix != null) {
                return prefix;
            }
        }
        return 1;
    }

    private static final Map<String, MethodSpec> SPECS = table(
            // Fixed for the life of the network.
            m("eth_chainId", CHAIN_CONSTANT, -1),
            m("net_version", CHAIN_CONSTANT, -1),

            // Keyed by a block hash in params[0].
            m("eth_getBlockByHash", BY_HASH, -1, NULL_RECHECK),
            m("eth_getBlockTransactionCountByHash", BY_HASH, -1),
            m("eth_getTransactionByBlockHashAndIndex", BY_HASH, -1),
            m("eth_getRawTransactionByBlockHashAndIndex", BY_HASH, -1),
            m("eth_getUncleByBlockHashAndIndex", BY_HASH, -1),
            m("eth_getUncleCountByBlockHash", BY_HASH, -1),
            m("eth_getHeaderByHash", BY_HASH, -1),

            // Keyed by a block parameter (number, tag, hash or EIP-1898 object).
            m("eth_getBlockByNumber", BY_BLOCK_PARAM, 0, NULL_IF_NO_BLOCK),
            m("eth_getBlockTransactionCountByNumber", BY_BLOCK_PARAM, 0, NULL_IF_NO_BLOCK),
            m("eth_getTransactionByBlockNumberAndIndex", BY_BLOCK_PARAM, 0),
            m("eth_getRawTransactionByBlockNumberAndIndex", BY_BLOCK_PARAM, 0),
            m("eth_getUncleByBlockNumberAndIndex", BY_BLOCK_PARAM, 0),
            m("eth_getUncleCountByBlockNumber", BY_BLOCK_PARAM, 0, NULL_IF_NO_BLOCK),
            m("eth_getHeaderByNumber", BY_BLOCK_PARAM, 0, NULL_IF_NO_BLOCK),
            m("eth_getBlockReceipts", BY_BLOCK_PARAM, 0, NULL_IF_NO_BLOCK),
            m("eth_getBalance", BY_BLOCK_PARAM, 1),
            m("eth_getCode", BY_BLOCK_PARAM, 1),
            m("eth_getStorageAt", BY_BLOCK_PARAM, 2),
            m("eth_getTransactionCount", BY_BLOCK_PARAM, 1),
            m("eth_call", BY_BLOCK_PARAM, 1),
            m("eth_getProof", BY_BLOCK_PARAM, 2),

            // Keyed by a transaction hash; final once the block holding it is.
            m("eth_getTransactionByHash", TX_BY_HASH, -1, NULL_RECHECK),
            m("eth_getTransactionReceipt", TX_BY_HASH, -1, NULL_RECHECK),

            m("eth_getLogs", LOGS, -1),

            // Name a block (so they route by head) but are not cached: estimates and fee data differ between
            // client implementations and versions, so one node's answer is not "the" answer.
            m("eth_estimateGas", NEVER, 1),
            m("eth_createAccessList", NEVER, 1),
            m("eth_feeHistory", NEVER, 1),
            m("eth_simulateV1", NEVER, 1),

            // Moving targets: head, fees, node status.
            m("eth_blockNumber", NEVER, -1),
            m("eth_gasPrice", NEVER, -1),
            m("eth_maxPriorityFeePerGas", NEVER, -1),
            m("eth_blobBaseFee", NEVER, -1),
            m("eth_syncing", NEVER, -1),
            m("eth_accounts", NEVER, -1),
            m("eth_coinbase", NEVER, -1),
            m("eth_mining", NEVER, -1),
            m("eth_hashrate", NEVER, -1),
            m("eth_getWork", NEVER, -1),
            m("eth_protocolVersion", NEVER, -1),
            m("eth_getRawTransactionByHash", NEVER, -1, NULL_RECHECK),
            m("web3_clientVersion", NEVER, -1),
            m("web3_sha3", NEVER, -1),
            m("net_listening", NEVER, -1),
            m("net_peerCount", NEVER, -1),

            // Writes and node-held keys.
            m("eth_sendRawTransaction", NEVER, -1, WRITE, BROADCAST),
            m("eth_sendTransaction", NEVER, -1, WRITE, NOT_RETRYABLE),
            m("eth_submitWork", NEVER, -1, WRITE),
            m("eth_submitHashrate", NEVER, -1, WRITE),
            m("eth_sign", NEVER, -1, NOT_RETRYABLE),
            m("eth_signTransaction", NEVER, -1, NOT_RETRYABLE),
            m("eth_signTypedData", NEVER, -1, NOT_RETRYABLE),
            m("eth_signTypedData_v3", NEVER, -1, NOT_RETRYABLE),
            m("eth_signTypedData_v4", NEVER, -1, NOT_RETRYABLE),

            // Filters live on one node: created there, used there.
            m("eth_newFilter", NEVER, -1, FILTER_CREATE, NOT_RETRYABLE),
            m("eth_newBlockFilter", NEVER, -1, FILTER_CREATE, NOT_RETRYABLE),
            m("eth_newPendingTransactionFilter", NEVER, -1, FILTER_CREATE, NOT_RETRYABLE),
            m("eth_getFilterChanges", NEVER, -1, FILTER_USE),
            m("eth_getFilterLogs", NEVER, -1, FILTER_USE),
            m("eth_uninstallFilter", NEVER, -1, FILTER_USE),

            m("eth_subscribe", NEVER, -1, SUBSCRIPTION),
            m("eth_unsubscribe", NEVER, -1, SUBSCRIPTION));

    private MethodCatalog() {
    }

    /** The spec of a method; never null. Unknown methods keep their name but are uncached retryable reads. */
    public static MethodSpec spec(String method) {
        MethodSpec spec = method == null ? null : SPECS.get(method);
        if (spec != null) {
            return spec;
        }
        // Not interned in the table: the set of names a client can send is unbounded.
        return new MethodSpec(method == null ? MethodSpec.OTHER : method, NEVER, -1, Set.of(), false);
    }

    public static boolean isKnown(String method) {
        return method != null && SPECS.containsKey(method);
    }

    /** Every method in the table, in table order. */
    public static Set<String> knownMethods() {
        return SPECS.keySet();
    }

    /** The built-in deny list of a network without its own: the prefixes, then the single methods. */
    public static List<String> defaultDenied() {
        List<String> denied = new ArrayList<>(DEFAULT_DENIED_PREFIXES);
        denied.addAll(DEFAULT_DENIED_METHODS);
        return List.copyOf(denied);
    }

    private static MethodSpec m(String name, CacheRule rule, int blockParam, Trait... traits) {
        return new MethodSpec(name, rule, blockParam, Set.of(traits), true);
    }

    private static Map<String, MethodSpec> table(MethodSpec... specs) {
        Map<String, MethodSpec> map = new LinkedHashMap<>();
        for (MethodSpec spec : specs) {
            if (map.put(spec.name(), spec) != null) {
                throw new IllegalStateException("duplicate method in catalog: " + spec.name());
            }
        }
        return Collections.unmodifiableMap(map);
    }
}
