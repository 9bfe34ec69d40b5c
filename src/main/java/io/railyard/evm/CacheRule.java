package io.railyard.evm;

/** How long an answer to a method can be trusted; {@link CacheRules} turns this into a decision per request. */
public enum CacheRule {
    /** The answer may change at any time (or the call has effects). */
    NEVER,
    /** Fixed for the life of the network: {@code eth_chainId}, {@code net_version}. */
    CHAIN_CONSTANT,
    /** Keyed by a block hash in {@code params[0]}: content under a hash never changes. */
    BY_HASH,
    /** Depends on the block named at {@link MethodSpec#blockParam()}: immutable once that block is final. */
    BY_BLOCK_PARAM,
    /** Keyed by a transaction hash: immutable once the result's {@code blockNumber} is final. */
    TX_BY_HASH,
    /** {@code eth_getLogs}: immutable when the filter names a block hash or a final numeric range. */
    LOGS
}
