package io.railyard.evm;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcRequest;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What an answer proves about the head of the node that gave it: the highest block number it shows the node has.
 * Used to keep heads fresher than the probe interval (so that {@code latest} can mean the newest block a client has
 * seen) without parsing large answers: only small results are read, and a read at an explicit block number proves
 * that block by being answered at all.
 */
public final class HeadEvidence {

    /** Where a method's result names a block its node holds. */
    enum Where {
        /** The result is the block number itself. */
        QUANTITY,
        /** The result is an object with a {@code blockNumber} field (null while pending). */
        BLOCK_NUMBER_FIELD
    }

    private static final Map<String, Where> RESULTS = Map.of(
            "eth_blockNumber", Where.QUANTITY,
            "eth_getTransactionReceipt", Where.BLOCK_NUMBER_FIELD,
            "eth_getTransactionByHash", Where.BLOCK_NUMBER_FIELD);

    private HeadEvidence() {
    }

    /** The highest block the answer shows its node has, or -1 when it shows none (errors, null, tags, hashes). */
    public static long blockShown(RpcRequest request, RpcAnswer answer) {
        if (answer == null || answer.isError() || answer.isNullResult()) {
            return -1;
        }
        Where where = RESULTS.get(request.method());
        if (where == Where.QUANTITY) {
            return quantity(answer.result());
        }
        if (where == Where.BLOCK_NUMBER_FIELD) {
            return Json.field(answer.result(), "blockNumber") instanceof String n ? BlockRef.parseQuantity(n) : -1;
        }
        MethodSpec spec = MethodCatalog.spec(request.method());
        if (spec.cacheRule() != CacheRule.BY_BLOCK_PARAM) {
            return -1;
        }
        // A state or block read at an explicit number that the node answered (not null): the node has that block.
        return BlockRef.of(request).filter(r -> r.kind() == BlockRef.Kind.NUMBER).map(BlockRef::number).orElse(-1L);
    }

    /** A JSON string holding a hex quantity, e.g. {@code "0x1b4"}, or -1. */
    static long quantity(byte[] result) {
        int start = 0;
        int end = result.length;
        while (start < end && result[start] <= ' ') {
            start++;
        }
        while (end > start && result[end - 1] <= ' ') {
            end--;
        }
        if (end - start < 5 || result[start] != '"' || result[end - 1] != '"') {
            return -1;
        }
        return BlockRef.parseQuantity(new String(result, start + 1, end - start - 2, StandardCharsets.US_ASCII));
    }
}
