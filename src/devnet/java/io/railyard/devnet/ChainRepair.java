package io.railyard.devnet;

import java.util.ArrayList;
import java.util.List;

import org.jboss.logging.Logger;

import io.railyard.devnet.NodeRpc.Block;

/**
 * Brings a node that fell behind or forked back onto the devnet's chain, by replaying the canonical blocks from a
 * node in sync. Anvil nodes do not peer, so this is the only way a held-back, restarted, unreachable or forked node
 * (a transaction that arrived between the miner's check and the mine, or a block mined behind the devnet's back)
 * gets the chain; each replayed block's hash is verified. Runs under the devnet's lock.
 */
final class ChainRepair {

    // The devnet logs under one category, whichever of its classes speaks.
    private static final Logger LOG = Logger.getLogger(Devnet.class);

    private final List<Node> nodes;
    private final ChainHead head;
    private final NodeRpc rpc;

    ChainRepair(List<Node> nodes, ChainHead head, NodeRpc rpc) {
        this.nodes = nodes;
        this.head = head;
        this.rpc = rpc;
    }

    /**
     * Brings node n to the devnet's head: rolls back blocks it made that are not canonical, then replays the
     * canonical blocks (raw transactions in block order into an emptied pool, then {@code evm_mine} with the
     * block's timestamp) from the reference node, verifying the hashes; finally resends what was in its pool.
     */
    void resync(Node n, Node reference) {
        if (reference == null || reference == n) {
            throw new IllegalStateException("no devnet node in sync to replay node " + n.index + " from");
        }
        long height = head.height;
        long nodeHead = rpc.latest(n).number();
        long common = Math.min(nodeHead, height);
        while (common > 0 && !rpc.block(n, common).hash().equals(rpc.block(reference, common).hash())) {
            common--;
        }
        // Transactions of the rolled-back blocks and of the pool go back in afterwards: none is lost to the repair.
        List<String> leftovers = new ArrayList<>();
        for (long k = common + 1; k <= nodeHead; k++) {
            for (String h : rpc.block(n, k).txs()) {
                String raw = rpc.rawTx(n, h);
                if (raw != null) {
                    leftovers.add(raw);
                }
            }
        }
        leftovers.addAll(rpc.poolRaws(n));
        if (nodeHead > common) {
            rpc.call(n, "anvil_rollback", nodeHead - common);
        }
        rpc.call(n, "anvil_dropAllTransactions");
        for (long k = common + 1; k <= height; k++) {
            Block b = rpc.block(reference, k);
            if (k == common + 1 && nodeHead > common) {
                // anvil_rollback restores the state but not the fee manager: the next base fee would still be derived
                // from the rolled-back block, so the replayed block would differ. Set it to the canonical one.
                rpc.call(n, "anvil_setNextBlockBaseFeePerGas", b.baseFee());
            }
            for (String h : b.txs()) {
                String raw = rpc.rawTx(reference, h);
                if (raw == null) {
                    throw new IllegalStateException("node " + reference.index + " has no raw transaction " + h);
                }
                rpc.call(n, "eth_sendRawTransaction", raw);
            }
            rpc.call(n, "evm_mine", b.timestamp());
            // The last block's hash commits to every earlier one (parent hashes), so checking it verifies the replay;
            // blocks with transactions are checked on the way, to name the block that went wrong.
            if (!b.txs().isEmpty() || k == height) {
                Block made = rpc.latest(n);
                if (made.number() != k || !made.hash().equals(b.hash())) {
                    throw new IllegalStateException("replaying block " + k + " on devnet node " + n.index + " made "
                            + made.hash() + " (block " + made.number() + "), expected " + b.hash());
                }
            }
        }
        leftovers.forEach(raw -> rpc.sendQuietly(n, raw));
        if (nodeHead != height || common != height) {
            LOG.infof("Devnet: node %d caught up from block %d to %d", n.index, common, height);
        }
        n.head = height;
        n.recovered();
    }

    /** A node in sync to replay node n from, or null. */
    Node referenceFor(Node n) {
        for (Node r : nodes) {
            if (r != n && !r.held && r.alive() && !r.needsSync && r.head == head.height) {
                return r;
            }
        }
        return null;
    }
}
