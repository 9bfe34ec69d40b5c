package io.railyard.evm;

/** What the gateway must know about a method besides caching: side effects, retries, stickiness. */
public enum Trait {
    /** Changes chain or node state. */
    WRITE,
    /** Safe to send to every upstream at once (a signed transaction is nonce-protected). */
    BROADCAST,
    /** Never re-sent once it reached an upstream: a second try could act twice. */
    NOT_RETRYABLE,
    /** Creates a filter whose id only the answering upstream knows. */
    FILTER_CREATE,
    /** Uses a filter id from {@code params[0]}: must go to the upstream that created it. */
    FILTER_USE,
    /** Needs a persistent connection (WebSocket); meaningless over plain HTTP. */
    SUBSCRIPTION,
    /** A {@code null} answer may just mean a lagging node: worth asking one more upstream. */
    NULL_RECHECK,
    /**
     * A read at a block number answered {@code null} when the node does not have that block: for a block at or
     * below the network's served head (which exists), the node is behind, and another is asked.
     */
    NULL_IF_NO_BLOCK
}
