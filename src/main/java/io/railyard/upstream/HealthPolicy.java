package io.railyard.upstream;

import java.util.Arrays;

/**
 * The rules that decide whether an upstream is fit to serve, as pure functions of what probes reported, so that
 * they are tested without timers or nodes.
 */
public final class HealthPolicy {

    private final long maxLag;
    private final int failuresToEject;
    private final int successesToReadmit;

    public HealthPolicy(long maxLag, int failuresToEject, int successesToReadmit) {
        this.maxLag = maxLag;
        this.failuresToEject = failuresToEject;
        this.successesToReadmit = successesToReadmit;
    }

    public long maxLag() {
        return maxLag;
    }

    public int failuresToEject() {
        return failuresToEject;
    }

    public int successesToReadmit() {
        return successesToReadmit;
    }

    /**
     * The head the network is at: the highest head that half or more of the pool's upstreams have come within
     * {@code maxLag} of. A single node reporting a head far above the rest (a rogue or a node on a fork) therefore
     * does not make the healthy majority look lagging. The count is over the whole pool, not over the nodes that
     * answered: with one node down, a rogue must not outvote the one honest node left. When no head has that
     * support the network head is unknown (-1), and nobody is ejected for lag until it is known again.
     *
     * @param heads one entry per upstream of the pool: its reported head, or -1 when it did not answer usably
     */
    public long bestHead(long[] heads) {
        long[] known = Arrays.stream(heads).filter(h -> h >= 0).sorted().toArray();
        int majority = (heads.length + 1) / 2;
        for (int i = known.length - 1; i >= 0; i--) {
            long candidate = known[i];
            int within = 0;
            for (long h : known) {
                if (h >= candidate - maxLag) {
                    within++;
                }
            }
            if (within >= majority) {
                return candidate;
            }
        }
        return -1;
    }

    /**
     * Why an upstream is unfit to serve.
     *
     * @param tag    a short fixed word for metrics ({@code wrong_chain}, {@code syncing}, {@code lag}, {@code ahead},
     *               {@code probe_failures}, {@code circuit_breaker})
     * @param detail the sentence for logs and /status
     */
    public record Unfit(String tag, String detail) {
    }

    /** Why a successful probe still makes the upstream unfit, or null when it is fit. */
    public Unfit unfit(ProbeResult probe, long expectedChainId, long bestHead) {
        if (probe.chainId() != expectedChainId) {
            return new Unfit("wrong_chain", "wrong chain: eth_chainId " + probe.chainId() + ", expected " + expectedChainId);
        }
        if (probe.syncing()) {
            return new Unfit("syncing", "syncing");
        }
        if (bestHead >= 0 && bestHead - probe.head() > maxLag) {
            return new Unfit("lag", (bestHead - probe.head()) + " blocks behind best head " + bestHead + " (max-lag " + maxLag + ")");
        }
        if (bestHead >= 0 && probe.head() - bestHead > maxLag) {
            return new Unfit("ahead", (probe.head() - bestHead) + " blocks ahead of the other upstreams' head " + bestHead
                    + " (max-lag " + maxLag + ")");
        }
        return null;
    }

    /** The detail of {@link #unfit}, or null when fit. */
    public String unfitReason(ProbeResult probe, long expectedChainId, long bestHead) {
        Unfit unfit = unfit(probe, expectedChainId, bestHead);
        return unfit == null ? null : unfit.detail();
    }

    /** Whether an ejection for this reason must wait for consecutive failures (probe failures do; a wrong chain does not). */
    public boolean ejectsAfter(int consecutiveFailures) {
        return consecutiveFailures >= failuresToEject;
    }

    public boolean readmitsAfter(int consecutiveSuccesses) {
        return consecutiveSuccesses >= successesToReadmit;
    }
}
