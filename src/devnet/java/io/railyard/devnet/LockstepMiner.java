package io.railyard.devnet;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;

import io.railyard.devnet.NodeRpc.Block;

/**
 * Mines the devnet's blocks in lockstep: block n is made by calling {@code evm_mine [genesis + n * step]} (step: the
 * block interval in whole seconds, at least 1) on every live, not held-back node once all of them hold the same
 * pending transactions in the same order. Anvil orders equal-priority transactions by arrival, so the same set sent
 * in a different order would fork the chain: the miner copies missing raw transactions across (after a couple of
 * ticks' grace for in-flight broadcasts) and re-feeds a node's pool in the reference order when only the order
 * differs. After each block it compares the block hashes and has {@link ChainRepair} repair a node that forked
 * anyway; a node that is not at the head before a block is caught up the same way. Runs under the devnet's lock.
 */
final class LockstepMiner {

    // The devnet logs under one category, whichever of its classes speaks.
    private static final Logger LOG = Logger.getLogger(Devnet.class);
    private static final int GRACE_TICKS = 2;

    private final List<Node> nodes;
    private final ChainHead head;
    private final NodeRpc rpc;
    private final ChainRepair repair;
    private final long genesisTimestamp;
    private final long timeStep;
    /** Whether the devnet is closing: its nodes' failures are expected then, not worth a warning. */
    private final BooleanSupplier closed;

    private int divergentTicks;
    private boolean divergenceLogged;
    private boolean noNodeLogged;

    LockstepMiner(List<Node> nodes, ChainHead head, NodeRpc rpc, ChainRepair repair, long genesisTimestamp,
            long timeStep, BooleanSupplier closed) {
        this.nodes = nodes;
        this.head = head;
        this.rpc = rpc;
        this.repair = repair;
        this.genesisTimestamp = genesisTimestamp;
        this.timeStep = timeStep;
        this.closed = closed;
    }

    /** One lockstep block; with {@code force}, reconcile pools at once and throw if nothing could be mined. */
    boolean mineOnce(boolean force) {
        List<Node> ready = readyNodes(force);
        if (ready.isEmpty()) {
            return false;
        }

        Map<Node, List<String>> pending = readPending(ready);
        if (ready.isEmpty()) {
            return fail(force, "no devnet node answered");
        }
        if (!allEqual(pending)) {
            divergentTicks++;
            if (!divergenceLogged) {
                LOG.infof("Devnet: pending transactions differ before block %d (%s); %s", head.height + 1,
                        pendingSummary(pending), force ? "reconciling now" : "waiting for in-flight broadcasts");
                divergenceLogged = true;
            }
            // The grace is for broadcasts still on their way; when every node holds the same set, only the order
            // differs, and waiting would not fix that.
            boolean sameSets = pending.values().stream().map(HashSet::new).distinct().count() == 1;
            if (!force && !sameSets && divergentTicks <= GRACE_TICKS) {
                return false;
            }
            reconcile(ready, pending);
            pending = readPending(ready);
            if (ready.isEmpty() || !allEqual(pending)) {
                return fail(force, "pending transactions still differ after reconciling: " + pendingSummary(pending));
            }
        }
        divergentTicks = 0;
        divergenceLogged = false;

        long number = head.height + 1;
        long timestamp = genesisTimestamp + number * timeStep;
        List<Node> mined = new ArrayList<>();
        Map<Node, RuntimeException> failures = new HashMap<>();
        for (Node n : ready) {
            try {
                rpc.call(n, "evm_mine", timestamp);
                mined.add(n);
            } catch (RuntimeException e) {
                failures.put(n, e);
            }
        }
        Map<Node, Block> heads = new LinkedHashMap<>();
        for (Node n : mined) {
            try {
                heads.put(n, rpc.latest(n));
            } catch (RuntimeException e) {
                failures.put(n, e);
            }
        }
        // The canonical block is the one most nodes made (ties: the lowest node index).
        Map<String, Integer> votes = new HashMap<>();
        String canonical = null;
        int best = 0;
        for (Block b : heads.values()) {
            if (b.number() == number) {
                int v = votes.merge(b.hash(), 1, Integer::sum);
                if (v > best) {
                    best = v;
                    canonical = b.hash();
                }
            }
        }
        if (canonical == null) {
            for (Node n : ready) {
                n.needsSync = true;
            }
            return fail(force, "no devnet node made block " + number + failureSummary(failures));
        }
        head.set(number, canonical);
        Node reference = null;
        for (Map.Entry<Node, Block> e : heads.entrySet()) {
            if (e.getValue().number() == number && e.getValue().hash().equals(canonical)) {
                e.getKey().head = number;
                if (reference == null) {
                    reference = e.getKey();
                }
            }
        }
        // Repair at once every node that did not make the canonical block: one that made another block (a
        // transaction arrived after the check, or someone mined it directly), or one whose evm_mine failed.
        for (Node n : ready) {
            Block b = heads.get(n);
            if (b != null && b.number() == number && b.hash().equals(canonical)) {
                continue;
            }
            n.needsSync = true;
            if (!n.alive()) {
                continue;
            }
            LOG.warnf("Devnet: node %d %s; repairing it", n.index, b != null
                    ? "made block " + b.number() + " " + b.hash() + " instead of " + number + " " + canonical
                    : "did not make block " + number + " (" + failures.get(n).getMessage() + ")");
            try {
                repair.resync(n, reference);
            } catch (RuntimeException e) {
                unreachable(n, e);
            }
        }
        return true;
    }

    private boolean fail(boolean force, String message) {
        if (force) {
            throw new IllegalStateException("Devnet: cannot mine block " + (head.height + 1) + ": " + message);
        }
        return false;
    }

    /** Live, not held-back nodes at the devnet's head (catching up the ones that are not), in node order. */
    private List<Node> readyNodes(boolean force) {
        List<Node> candidates = new ArrayList<>();
        for (Node n : nodes) {
            if (n.held) {
                continue;
            }
            if (!n.alive()) {
                if (!n.downLogged) {
                    LOG.infof("Devnet: node %d (%s) is down; mining without it", n.index, n.url);
                    n.downLogged = true;
                }
                n.needsSync = true;
                continue;
            }
            candidates.add(n);
        }
        List<Node> ready = new ArrayList<>();
        List<Node> stale = new ArrayList<>();
        for (Node n : candidates) {
            if (!n.needsSync && n.head == head.height) {
                ready.add(n);
                continue;
            }
            try {
                Block latest = rpc.latest(n);
                if (latest.number() == head.height && latest.hash().equals(head.hash)) {
                    n.recovered();
                    ready.add(n);
                } else {
                    stale.add(n);
                }
            } catch (RuntimeException e) {
                unreachable(n, e);
            }
        }
        if (ready.isEmpty()) {
            if (!noNodeLogged) {
                LOG.warnf("Devnet: no live node is at block %d; mining paused", head.height);
                noNodeLogged = true;
            }
            fail(force, "no live node at block " + head.height + " (held back, down or out of sync)");
            return ready;
        }
        noNodeLogged = false;
        for (Node n : stale) {
            try {
                repair.resync(n, ready.get(0));
                ready.add(n);
            } catch (RuntimeException e) {
                unreachable(n, e);
            }
        }
        ready.sort(Comparator.comparingInt(n -> n.index));
        return ready;
    }

    /** Each ready node's pending transaction hashes; a node that does not answer leaves {@code ready}. */
    private Map<Node, List<String>> readPending(List<Node> ready) {
        Map<Node, List<String>> pending = new LinkedHashMap<>();
        for (Node n : new ArrayList<>(ready)) {
            try {
                pending.put(n, rpc.pendingHashes(n));
            } catch (RuntimeException e) {
                ready.remove(n);
                unreachable(n, e);
            }
        }
        return pending;
    }

    /**
     * Copies transactions a node lacks from a node that has them, then re-feeds (drop all, resend in the first
     * node's order) every node whose pending block still lists the transactions in a different order.
     */
    private void reconcile(List<Node> ready, Map<Node, List<String>> pending) {
        Map<String, Node> holder = new LinkedHashMap<>();
        pending.forEach((n, txs) -> txs.forEach(h -> holder.putIfAbsent(h, n)));
        for (Node n : ready) {
            Set<String> has = new HashSet<>(pending.get(n));
            for (Map.Entry<String, Node> e : holder.entrySet()) {
                if (!has.contains(e.getKey())) {
                    String raw = rpc.rawTx(e.getValue(), e.getKey());
                    if (raw != null) {
                        rpc.sendQuietly(n, raw);
                    }
                }
            }
        }
        Map<Node, List<String>> now = readPending(ready);
        if (ready.isEmpty() || allEqual(now)) {
            return;
        }
        Node reference = ready.get(0);
        List<String> order = now.get(reference);
        List<String> raws = new ArrayList<>();
        for (String h : order) {
            String raw = rpc.rawTx(reference, h);
            if (raw != null) {
                raws.add(raw);
            }
        }
        for (Node n : ready) {
            if (n != reference && !now.get(n).equals(order)) {
                // Its own pool (queued transactions too) goes back in after the reference order: nothing is lost.
                List<String> saved = rpc.poolRaws(n);
                rpc.call(n, "anvil_dropAllTransactions");
                for (String raw : raws) {
                    rpc.sendQuietly(n, raw);
                }
                saved.forEach(raw -> rpc.sendQuietly(n, raw));
            }
        }
    }

    /** Marks node n for a check before it is mined again, warning once until it recovers. */
    private void unreachable(Node n, RuntimeException e) {
        n.needsSync = true;
        if (!n.unreachableLogged && n.alive() && !closed.getAsBoolean()) {
            LOG.warnf("Devnet: node %d (%s) failed: %s; it catches up when it answers again", n.index, n.url, e.getMessage());
            n.unreachableLogged = true;
        }
    }

    private static boolean allEqual(Map<Node, List<String>> pending) {
        return pending.values().stream().distinct().count() <= 1;
    }

    private static String failureSummary(Map<Node, RuntimeException> failures) {
        return failures.entrySet().stream()
                .map(e -> "; node " + e.getKey().index + ": " + e.getValue().getMessage())
                .collect(Collectors.joining());
    }

    private static String pendingSummary(Map<Node, List<String>> pending) {
        return pending.entrySet().stream()
                .map(e -> "node " + e.getKey().index + ": " + e.getValue().size() + " tx"
                        + e.getValue().stream().map(h -> h.substring(0, Math.min(10, h.length())))
                                .collect(Collectors.joining(",", " [", "]")))
                .collect(Collectors.joining("; "));
    }
}
