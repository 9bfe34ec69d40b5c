package io.railyard.upstream;

import io.railyard.upstream.select.SelectionPolicy;

import java.util.ArrayList;
import java.util.List;

/**
 * The upstreams of one network and what is known of the network as a whole (best head, finalized block).
 * Candidate lists are computed per call from volatile state, so health changes take effect at once without locks.
 */
public final class UpstreamPool {

    private final String network;
    private final long chainId;
    private final int finalityDepth;
    private final boolean broadcastTransactions;
    private final String routing;
    private final List<Upstream> upstreams;
    private final SelectionPolicy policy;

    private volatile long bestHead = -1;
    private volatile long finalized = -1;

    public UpstreamPool(String network, long chainId, int finalityDepth, boolean broadcastTransactions, String routing,
                        List<Upstream> upstreams, SelectionPolicy policy) {
        this.network = network;
        this.chainId = chainId;
        this.finalityDepth = finalityDepth;
        this.broadcastTransactions = broadcastTransactions;
        this.routing = routing;
        this.upstreams = List.copyOf(upstreams);
        this.policy = policy;
    }

    public String network() {
        return network;
    }

    public long chainId() {
        return chainId;
    }

    public int finalityDepth() {
        return finalityDepth;
    }

    public boolean broadcastTransactions() {
        return broadcastTransactions;
    }

    public String routing() {
        return routing;
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    public SelectionPolicy policy() {
        return policy;
    }

    /** Highest head among healthy upstreams, -1 while unknown. */
    public long bestHead() {
        return bestHead;
    }

    /** The block at or below which answers are final for this network, -1 while unknown. */
    public long finalized() {
        return finalized;
    }

    public void bestHead(long bestHead) {
        this.bestHead = bestHead;
    }

    public void finalized(long finalized) {
        this.finalized = finalized;
    }

    /**
     * Healthy upstreams that may serve a call naming block {@code minHead} (-1: none named), leaving out those in
     * {@code excludedMask} (bit i = upstream index i, already tried). When no healthy upstream is known to have
     * reached {@code minHead}, every healthy one is a candidate: heads are only as fresh as the last probe, and a
     * node asked for a future block answers for itself.
     */
    public List<Upstream> candidates(long minHead, long excludedMask) {
        List<Upstream> healthy = new ArrayList<>(upstreams.size());
        List<Upstream> caughtUp = minHead < 0 ? healthy : new ArrayList<>(upstreams.size());
        for (Upstream u : upstreams) {
            if (!u.isHealthy() || isExcluded(u, excludedMask)) {
                continue;
            }
            healthy.add(u);
            if (minHead >= 0 && (u.head() < 0 || u.head() >= minHead)) {
                caughtUp.add(u);
            }
        }
        return caughtUp.isEmpty() ? healthy : caughtUp;
    }

    public Upstream byName(String name) {
        for (Upstream u : upstreams) {
            if (u.name().equals(name)) {
                return u;
            }
        }
        return null;
    }

    public boolean hasHealthyUpstream() {
        for (Upstream u : upstreams) {
            if (u.isHealthy()) {
                return true;
            }
        }
        return false;
    }

    public static long exclude(long mask, Upstream u) {
        return u.index() < 64 ? mask | (1L << u.index()) : mask;
    }

    private static boolean isExcluded(Upstream u, long mask) {
        return u.index() < 64 && (mask & (1L << u.index())) != 0;
    }
}
