package io.railyard.evm;

import java.util.List;
import java.util.Locale;

/**
 * Classifies upstream JSON-RPC errors by their message, because nodes agree on no codes: geth, Erigon,
 * Nethermind, Besu and Reth each word the same condition differently. Matching is a case-insensitive
 * substring search over small tables, so adding a client's wording is one line.
 */
public final class NodeErrors {

    /**
     * This node lacks the block or state (lagging, pruned, still syncing history): another node may have it,
     * so the read is worth retrying elsewhere. Deterministic errors (reverts, bad params) must not match.
     */
    static final List<String> MISSING_DATA = List.of(
            "header not found",                       // geth, reth
            "missing trie node",                      // geth (hash-based state)
            "unknown block",                          // geth, reth
            "block not found",                        // erigon, besu, reth
            "could not find block",
            "cannot find block",
            "historical state unavailable",           // geth: "required historical state unavailable"
            "historical state not available",         // geth (path-based state)
            "state not available",
            "state is not available",
            "state unavailable",                      // besu: "World state unavailable"
            "no state available",                     // nethermind
            "state histories haven't been fully indexed",
            "pruned",                                 // erigon, nethermind, providers
            "resource not found",                     // -32001 from providers and nethermind
            "beyond current head block",              // providers: eth_getLogs past their head
            "after last accepted block");             // avalanche-style lagging nodes

    /**
     * Error classes a node names at the start of its message for a block it has not mined yet, trusted whatever the
     * code: anvil and hardhat answer a block above their height with -32602 ("BlockOutOfRangeError: block height is
     * 35 but requested was 36"), a code whose texts are otherwise never searched.
     */
    static final List<String> MISSING_BLOCK_CLASSES = List.of(
            "blockoutofrangeerror");                  // anvil, hardhat

    /** A re-sent transaction that the node already holds: the send succeeded earlier, not failed now. */
    static final List<String> ALREADY_KNOWN = List.of(
            "already known",                          // geth, reth, erigon
            "known transaction",                      // besu, older geth ("known transaction: <hash>")
            "alreadyknown",                           // nethermind
            "transaction already imported",           // openethereum
            "transaction already exists",
            "tx already exists",
            "already in mempool",
            "already in the mempool");

    private NodeErrors() {
    }

    /** Whether the error means this node does not have the data asked for (another node might). */
    public static boolean meansMissingData(int code, String message) {
        return startsWithAny(message, MISSING_BLOCK_CLASSES) || (!deterministic(code, message) && matches(message, MISSING_DATA));
    }

    /** Whether a send failed only because the node already has the transaction. */
    public static boolean isAlreadyKnown(int code, String message) {
        return !deterministic(code, message) && matches(message, ALREADY_KNOWN);
    }

    /**
     * Errors whose text must not be searched: a revert carries a reason string chosen by the contract (it could
     * say "block not found"), and request errors may echo the client's own input.
     */
    private static boolean deterministic(int code, String message) {
        return code == 3 || code == -32700 || code == -32600 || code == -32601 || code == -32602
                || (message != null && message.regionMatches(true, 0, "execution reverted", 0, 18));
    }

    private static boolean startsWithAny(String message, List<String> prefixes) {
        if (message == null) {
            return false;
        }
        for (String prefix : prefixes) {
            if (message.regionMatches(true, 0, prefix, 0, prefix.length())) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(String message, List<String> table) {
        if (message == null || message.isEmpty()) {
            return false;
        }
        String lower = message.toLowerCase(Locale.ROOT);
        for (String needle : table) {
            // Match at a word start, so "known transaction" does not match "unknown transaction".
            for (int at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + 1)) {
                if (at == 0 || !Character.isLetter(lower.charAt(at - 1))) {
                    return true;
                }
            }
        }
        return false;
    }
}
