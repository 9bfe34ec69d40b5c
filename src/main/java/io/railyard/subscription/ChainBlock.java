package io.railyard.subscription;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Locale;

/**
 * One block of the chain a stream delivered: what links it to its parent, its header as {@code newHeads}
 * subscribers get it, and its logs once they were fetched (null before, or when nobody followed logs).
 */
final class ChainBlock {

    /** Fields of an {@code eth_getBlockByNumber} answer that a header (what geth's {@code newHeads} sends) has not. */
    private static final String[] NOT_IN_HEADER = {"transactions", "uncles", "size", "totalDifficulty", "withdrawals"};

    /** Stands for "no block": below every block kept. */
    static final ChainBlock NONE = new ChainBlock(-1, "", "", "");

    final long number;
    final String hash;
    final String parentHash;
    final String header;
    JsonArray logs;

    private ChainBlock(long number, String hash, String parentHash, String header) {
        this.number = number;
        this.hash = hash;
        this.parentHash = parentHash;
        this.header = header;
    }

    static ChainBlock of(JsonObject block) {
        String number = block.getString("number");
        String hash = block.getString("hash");
        String parent = block.getString("parentHash");
        if (number == null || hash == null || parent == null || !number.startsWith("0x")) {
            throw new IllegalArgumentException("not a block: " + block.encode());
        }
        JsonObject header = block.copy();
        for (String field : NOT_IN_HEADER) {
            header.remove(field);
        }
        return new ChainBlock(Long.parseLong(number.substring(2), 16), hash.toLowerCase(Locale.ROOT),
                parent.toLowerCase(Locale.ROOT), header.encode());
    }

    @Override
    public String toString() {
        return number + ":" + hash.substring(0, Math.min(10, hash.length()));
    }
}
