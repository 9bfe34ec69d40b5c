package io.railyard.upstream;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
     * What one upstream says in a probing round.
     *
     * @param head     the head it reported, or -1 when it did not answer usably (failed, wrong chain, syncing)
     * @param healthy  whether it is serving traffic now (admitted and not ejected)
     */
    public record Vote(long head, boolean healthy) {
        public static Vote silent(boolean healthy) {
            return new Vote(-1, healthy);
        }

        boolean answered() {
            return head >= 0;
        }
    }

    /**
     * The head the network is at, elected by the upstreams that answered this round: a hung, dead or syncing node's
     * last head is no vote. Among those that answered, the ones serving traffic decide (when none is serving, all
     * that answered do), so that nodes just back from a hang or a restart, still replaying the blocks they missed,
     * cannot outvote the node that kept answering. The head is the highest that more than half of the electorate
     * is within {@code maxLag} of: one node far above or below the rest (a rogue, a node on a fork, a laggard) does
     * not move it, and a lone answering node sets it by itself. When no head has such a majority (two nodes that
     * disagree, and nothing to tell which is right) it is -1 and nobody is ejected for lag or for being ahead.
     */
    public long electHead(List<Vote> votes) {
        boolean anyHealthy = votes.stream().anyMatch(v -> v.answered() && v.healthy());
        long[] electorate = votes.stream().filter(v -> v.answered() && (v.healthy() || !anyHealthy))
                .mapToLong(Vote::head).sorted().toArray();
        int majority = electorate.length / 2 + 1;
        for (int i = electorate.length - 1; i >= 0; i--) {
            long candidate = electorate[i];
            int within = 0;
            for (long h : electorate) {
                if (Math.abs(h - candidate) <= maxLag) {
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

    /** Ejection tags ({@code railyard_upstream_ejections_total}'s {@code reason}). */
    public static final String PROBE_FAILURES = "probe_failures";
    public static final String WRONG_CHAIN = "wrong_chain";
    public static final String SYNCING = "syncing";
    public static final String LAG = "lag";
    public static final String AHEAD = "ahead";
    public static final String CIRCUIT_BREAKER = "circuit_breaker";

    /** Every tag an ejection is counted under: a closed set, so each series can be shown at 0 from the start. */
    public static final List<String> EJECTION_REASONS = List.of(PROBE_FAILURES, WRONG_CHAIN, SYNCING, LAG, AHEAD, CIRCUIT_BREAKER);

    /** Why a successful probe still makes the upstream unfit, or null when it is fit. */
    public Unfit unfit(ProbeResult probe, long expectedChainId, long bestHead) {
        if (probe.chainId() != expectedChainId) {
            return new Unfit(WRONG_CHAIN, "wrong chain: eth_chainId " + probe.chainId() + ", expected " + expectedChainId);
        }
        if (probe.syncing()) {
            return new Unfit(SYNCING, "syncing");
        }
        if (bestHead >= 0 && bestHead - probe.head() > maxLag) {
            return new Unfit(LAG, (bestHead - probe.head()) + " blocks behind best head " + bestHead + " (max-lag " + maxLag + ")");
        }
        if (bestHead >= 0 && probe.head() - bestHead > maxLag) {
            return new Unfit(AHEAD, (probe.head() - bestHead) + " blocks ahead of the other upstreams' head " + bestHead
                    + " (max-lag " + maxLag + ")");
        }
        return null;
    }

    /**
     * The panic rule's choice when no upstream passes the health rules: those that answered usably (right chain,
     * not syncing) with a head within {@code maxLag} of the highest such head. Silent, wrong-chain and syncing
     * upstreams never serve, panic or not.
     *
     * @param usableHeads per upstream, its head when it answered usably this round, else -1
     * @return indices into {@code usableHeads}, in order
     */
    public List<Integer> panicServers(long[] usableHeads) {
        long top = Arrays.stream(usableHeads).max().orElse(-1);
        List<Integer> serving = new ArrayList<>();
        for (int i = 0; top >= 0 && i < usableHeads.length; i++) {
            if (usableHeads[i] >= 0 && usableHeads[i] >= top - maxLag) {
                serving.add(i);
            }
        }
        return serving;
    }

    /** Whether an ejection for this reason must wait for consecutive failures (probe failures do; a wrong chain does not). */
    public boolean ejectsAfter(int consecutiveFailures) {
        return consecutiveFailures >= failuresToEject;
    }

    public boolean readmitsAfter(int consecutiveSuccesses) {
        return consecutiveSuccesses >= successesToReadmit;
    }
}
