package io.railyard.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted chain served by fake upstreams: blocks by number (each node up to its own head), by hash (every block
 * ever made, as nodes keep side blocks for a while), and their logs by block hash. Mining moves every serving
 * node's head; a reorg replaces the newest blocks by a branch of new hashes. Blocks carry as many logs as asked.
 */
public final class FakeChain {

    /** A log every block's logs are made from: address {@link #EMITTER}, topic 0 {@link #TOPIC}, topic 1 the index. */
    public static final String EMITTER = "0x00000000000000000000000000000000000000e1";
    public static final String TOPIC = "0x" + "7e".repeat(32);

    public record Block(long number, String hash, String parentHash, int logs) {
    }

    private final List<Block> canonical = new CopyOnWriteArrayList<>();
    private final Map<String, Block> byHash = new ConcurrentHashMap<>();
    private final List<FakeUpstream> nodes = new CopyOnWriteArrayList<>();
    private int branch;

    /** A chain whose blocks 0 to {@code head} exist, each with {@code logsPerBlock} logs. */
    public FakeChain(long head, int logsPerBlock) {
        for (long n = 0; n <= head; n++) {
            add(n, logsPerBlock);
        }
    }

    private Block add(long number, int logs) {
        String parent = number == 0 ? "0x" + "00".repeat(32) : canonical.get((int) number - 1).hash();
        Block block = new Block(number, String.format("0x%08x%056x", branch, number), parent, logs);
        if (canonical.size() > number) {
            canonical.set((int) number, block);
        } else {
            canonical.add(block);
        }
        byHash.put(block.hash(), block);
        return block;
    }

    /** Serves this chain from the nodes, each at the current head. */
    public FakeChain serve(List<FakeUpstream> serving) {
        for (FakeUpstream node : serving) {
            nodes.add(node);
            node.head(head());
            node.on("eth_getBlockByNumber", call -> {
                Object tag = call.getJsonArray("params").getValue(0);
                long n = "latest".equals(tag) || "pending".equals(tag) ? node.head() : Long.decode(tag.toString());
                return new FakeUpstream.Result(n <= node.head() && n < canonical.size() ? json(canonical.get((int) n)) : "null");
            });
            node.on("eth_getBlockByHash", call -> {
                Block b = byHash.get(call.getJsonArray("params").getString(0));
                return new FakeUpstream.Result(b == null ? "null" : json(b));
            });
            node.on("eth_getLogs", call -> {
                JsonObject filter = call.getJsonArray("params").getJsonObject(0);
                Block b = byHash.get(filter.getString("blockHash"));
                return b == null ? new FakeUpstream.Error(-32000, "unknown block") : new FakeUpstream.Result(logs(b).encode());
            });
        }
        return this;
    }

    public long head() {
        return canonical.size() - 1;
    }

    public Block block(long number) {
        return canonical.get((int) number);
    }

    /** Mines {@code count} blocks with {@code logs} logs each; every serving node follows. */
    public synchronized List<Block> mine(int count, int logs) {
        List<Block> made = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            made.add(add(canonical.size(), logs));
        }
        nodes.forEach(n -> n.head(head()));
        announce(made);
        return made;
    }

    /** Replaces the newest {@code depth} blocks by a branch of the same length whose blocks have {@code logs} logs. */
    public synchronized List<Block> reorg(int depth, int logs) {
        branch++;
        long from = canonical.size() - depth;
        List<Block> made = new ArrayList<>();
        for (long n = from; n < from + depth; n++) {
            made.add(add(n, logs));
        }
        nodes.forEach(node -> node.head(head()));
        announce(made);
        return made;
    }

    /** Each node tells its newHeads subscribers of the blocks, newest last, as it imports them. */
    private void announce(List<Block> made) {
        for (Block b : made) {
            nodes.forEach(n -> n.announceHead(json(b)));
        }
    }

    public static String json(Block b) {
        return new JsonObject().put("number", "0x" + Long.toHexString(b.number())).put("hash", b.hash())
                .put("parentHash", b.parentHash()).put("timestamp", "0x" + Long.toHexString(1_700_000_000L + b.number()))
                .put("transactions", new JsonArray()).put("uncles", new JsonArray()).put("size", "0x220").encode();
    }

    /** The block's logs as a node returns them. */
    public static JsonArray logs(Block b) {
        JsonArray logs = new JsonArray();
        for (int i = 0; i < b.logs(); i++) {
            logs.add(new JsonObject().put("address", EMITTER)
                    .put("topics", new JsonArray().add(TOPIC).add(String.format("0x%064x", i)))
                    .put("data", "0x").put("blockNumber", "0x" + Long.toHexString(b.number())).put("blockHash", b.hash())
                    .put("transactionHash", String.format("0x%056x%08x", b.number(), i)).put("transactionIndex", "0x0")
                    .put("logIndex", "0x" + Integer.toHexString(i)).put("removed", false));
        }
        return logs;
    }
}
