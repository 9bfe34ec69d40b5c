package io.railyard.evm;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcRequest;

import java.util.Map;
import java.util.Optional;

/**
 * Whether an answer can never change, and so may be cached: the one place that decides, from the
 * {@link MethodCatalog} rule, the request's params and the finalized block. Pure: no state, no clock.
 * A {@code finalizedBlock} below zero means it is not known yet, so nothing keyed by number is cacheable.
 */
public final class CacheRules {

    /** Why a request's answer would be immutable, which decides what else the answer must satisfy. */
    private enum Basis {
        /** Never cacheable, whatever the answer. */
        NONE,
        /** Same answer for the life of the network. */
        CONSTANT,
        /** Keyed by a block hash. A node that has not seen the block may answer null or empty. */
        HASH,
        /** Keyed by a final block number: every synced node has the block, so even an empty answer is true. */
        FINAL_NUMBER,
        /** Keyed by a transaction hash: depends on where the answer says the transaction is. */
        TRANSACTION
    }

    private CacheRules() {
    }

    /**
     * Before forwarding: could an answer to this request ever be stored? Decides cache lookups and whether
     * identical requests in flight may share one upstream call.
     */
    public static boolean mayCache(RpcRequest req, long finalizedBlock) {
        return basis(req, finalizedBlock) != Basis.NONE;
    }

    /** After the answer: store it? */
    public static boolean shouldStore(RpcRequest req, RpcAnswer answer, long finalizedBlock) {
        if (answer == null || answer.isError() || answer.isNullResult()) {
            return false;
        }
        Basis basis = basis(req, finalizedBlock);
        if (answer.isEmptyResult()) {
            // Empty under a hash may only mean this node lacks the block; under a final number it is the truth.
            return basis == Basis.FINAL_NUMBER;
        }
        return switch (basis) {
            case NONE -> false;
            case CONSTANT, HASH, FINAL_NUMBER -> true;
            case TRANSACTION -> minedAtOrBelow(answer.result(), finalizedBlock);
        };
    }

    private static Basis basis(RpcRequest req, long finalizedBlock) {
        MethodSpec spec = MethodCatalog.spec(req.method());
        switch (spec.cacheRule()) {
            case CHAIN_CONSTANT:
                return Basis.CONSTANT;
            case BY_HASH:
                return isHashNode(Json.element(req.params(), 0)) ? Basis.HASH : Basis.NONE;
            case TX_BY_HASH:
                return isHashNode(Json.element(req.params(), 0)) ? Basis.TRANSACTION : Basis.NONE;
            case BY_BLOCK_PARAM:
                return byBlock(BlockRef.of(req), finalizedBlock);
            case LOGS:
                return logs(Json.element(req.params(), 0), finalizedBlock);
            default:
                return Basis.NONE;
        }
    }

    private static Basis byBlock(Optional<BlockRef> ref, long finalizedBlock) {
        if (ref.isEmpty()) {
            return Basis.NONE;
        }
        BlockRef r = ref.get();
        if (r.isImmutableHash()) {
            return Basis.HASH;
        }
        return r.kind() != BlockRef.Kind.HASH && r.isFinal(finalizedBlock) ? Basis.FINAL_NUMBER : Basis.NONE;
    }

    private static Basis logs(Object params0, long finalizedBlock) {
        if (!(params0 instanceof Map<?, ?> filter)) {
            return Basis.NONE;
        }
        Object hash = filter.get("blockHash");
        Object from = filter.get("fromBlock");
        Object to = filter.get("toBlock");
        if (hash != null && hash != Json.NULL) {
            // A range next to a block hash is invalid; nodes answer with an error.
            return isHashNode(hash) && from == null && to == null ? Basis.HASH : Basis.NONE;
        }
        // A missing end means latest; tags move; only numbers (earliest = 0) are fixed.
        Optional<BlockRef> fromRef = logsEnd(from);
        Optional<BlockRef> toRef = logsEnd(to);
        if (fromRef.isEmpty() || toRef.isEmpty()) {
            return Basis.NONE;
        }
        long f = fromRef.get().number();
        long t = toRef.get().number();
        if (f < 0 || t < 0 || f > t) {
            return Basis.NONE;
        }
        return toRef.get().isFinal(finalizedBlock) ? Basis.FINAL_NUMBER : Basis.NONE;
    }

    private static Optional<BlockRef> logsEnd(Object value) {
        return value instanceof String text ? BlockRef.parse(text) : Optional.empty();
    }

    private static boolean isHashNode(Object value) {
        return value instanceof String text && BlockRef.isHash(text);
    }

    /** Whether a transaction or receipt object says it is in a block at or below the finalized one. */
    private static boolean minedAtOrBelow(byte[] result, long finalizedBlock) {
        if (finalizedBlock < 0) {
            return false;
        }
        if (!(Json.field(result, "blockNumber") instanceof String number)) {
            return false; // not an object, or pending (blockNumber null or absent)
        }
        long n = BlockRef.parseQuantity(number);
        return n >= 0 && n <= finalizedBlock;
    }
}
