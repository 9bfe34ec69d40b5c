package io.railyard.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The upstreams of one network and what is known of the network as a whole (best head, finalized block).
 * Candidate lists are computed per call from volatile state, so health changes take effect at once without locks.
 */
public final class UpstreamPool {

    private final String network;
    private final long chainId;
    private final int finalityDepth;
    private final long maxLag;
    private final boolean broadcastTransactions;
    private final String routing;
    private final List<Upstream> upstreams;
    private final SelectionPolicy policy;

    private volatile long bestHead = -1;
    private volatile long finalized = -1;
    /** The highest head a client of this network has been shown or that the network elected; never goes down. */
    private final AtomicLong servedHead = new AtomicLong(-1);
    /** The highest finalized block this network has used; never goes down. */
    private final AtomicLong servedFinalized = new AtomicLong(-1);
    /** The highest safe block this network has used; never goes down. */
    private final AtomicLong servedSafe = new AtomicLong(-1);
    /** Upstreams serving under the panic rule while none is healthy; empty when not in panic. */
    private volatile List<Upstream> panic = List.of();

    public UpstreamPool(String network, long chainId, int finalityDepth, long maxLag, boolean broadcastTransactions,
                        String routing, List<Upstream> upstreams, SelectionPolicy policy) {
        this.network = network;
        this.chainId = chainId;
        this.finalityDepth = finalityDepth;
        this.maxLag = maxLag;
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

    /** Blocks {@code upstream} is behind the network's best head; -1 while either head is unknown. */
    public long lag(Upstream upstream) {
        long best = bestHead;
        return upstream.head() < 0 || best < 0 ? -1 : Math.max(0, best - upstream.head());
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
        raise(servedFinalized, finalized);
    }

    /**
     * The head that {@code latest} means for this network's clients: the highest the network elected or that an
     * answer showed a client, so that no client is shown an older one afterwards. -1 while unknown.
     */
    public long servedHead() {
        return servedHead.get();
    }

    /**
     * Whether an answer showing block {@code number} may move heads: not beyond {@code max-lag} past the head the
     * network elected, so that one rogue answer cannot drag {@code latest} to a block no honest node has.
     */
    public boolean plausibleHead(long number) {
        long elected = bestHead;
        return number >= 0 && (elected < 0 || number <= elected + maxLag);
    }

    /** Raises {@link #servedHead()} to {@code head} if that is higher; returns the served head after it. */
    public long raiseServedHead(long head) {
        return raise(servedHead, head);
    }

    /** The highest finalized block used so far, what {@code finalized} means for clients; -1 while unknown. */
    public long servedFinalized() {
        return servedFinalized.get();
    }

    /** Records the network's safe block (the lowest its healthy upstreams report); -1 while unknown. */
    public void safe(long safe) {
        raise(servedSafe, safe);
    }

    /**
     * What {@code safe} means for clients: the highest safe block used so far, and never below the finalized block
     * (a final block is safe). -1 while unknown.
     */
    public long servedSafe() {
        long safe = servedSafe.get();
        return safe < 0 ? -1 : Math.max(safe, servedFinalized.get());
    }

    /**
     * Whether the network serves under the panic rule: no upstream passes the health rules, so the best of those
     * that still answer serve anyway rather than the network failing every read.
     */
    public boolean inPanic() {
        return !panic.isEmpty();
    }

    /** The upstreams serving under the panic rule (empty when not in panic). */
    public List<Upstream> panicUpstreams() {
        return panic;
    }

    /** Sets who serves under the panic rule; empty ends the panic. */
    public void panic(List<Upstream> serving) {
        this.panic = List.copyOf(serving);
    }

    static long raise(AtomicLong value, long candidate) {
        return value.accumulateAndGet(candidate, Math::max);
    }

    /**
     * Healthy upstreams (under the panic rule: the panic ones) that may serve a call naming block {@code minHead} (-1: none named), leaving out those in
     * {@code excludedMask} (bit i = upstream index i, already tried). When no healthy upstream is known to have
     * reached {@code minHead}, every healthy one is a candidate: heads are only as fresh as the last probe, and a
     * node asked for a future block answers for itself.
     */
    public List<Upstream> candidates(long minHead, long excludedMask) {
        List<Upstream> serving = panic;
        boolean panicking = !serving.isEmpty();
        if (!panicking) {
            serving = upstreams;
        }
        List<Upstream> healthy = new ArrayList<>(serving.size());
        List<Upstream> caughtUp = minHead < 0 ? healthy : new ArrayList<>(serving.size());
        for (Upstream u : serving) {
            if ((!panicking && !u.isHealthy()) || isExcluded(u, excludedMask)) {
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

    /** Whether some upstream serves traffic: a healthy one, or one under the panic rule. */
    public boolean hasHealthyUpstream() {
        if (inPanic()) {
            return true;
        }
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
