package io.railyard.upstream.select;

import io.railyard.upstream.SelectionPolicy;
import io.railyard.upstream.Upstream;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Smooth weighted round-robin as nginx does it, without locks: nginx's sequence for the whole pool is computed once
 * and event loops share only an atomic cursor into it, so weights hold exactly over each cycle.
 */
public final class RoundRobin implements SelectionPolicy {

    /** Longest sequence kept; beyond it weights are scaled down, trading exactness for bounded memory and scans. */
    static final int MAX_SEQUENCE = 4096;

    private final Upstream[] byIndex;
    /** index() of the upstream to use at each position of one cycle. */
    private final int[] sequence;
    private final int poolSize;
    private final AtomicLong cursor = new AtomicLong();

    public RoundRobin(List<Upstream> all) {
        if (all.isEmpty()) {
            throw new IllegalArgumentException("round-robin needs at least one upstream");
        }
        int maxIndex = all.stream().mapToInt(Upstream::index).max().getAsInt();
        byIndex = new Upstream[maxIndex + 1];
        for (Upstream u : all) {
            byIndex[u.index()] = u;
        }
        poolSize = all.size();
        sequence = nginxSequence(all, reducedWeights(all));
    }

    @Override
    public Upstream pick(List<Upstream> candidates, String clientKey) {
        long len = sequence.length;
        if (candidates.size() == poolSize) {
            // Everyone may serve: one atomic step per pick, and each cycle position is used exactly once.
            return byIndex[sequence[(int) Math.floorMod(cursor.getAndIncrement(), len)]];
        }
        // A bitmask when the pool fits in a long, so the usual exclusion case allocates nothing.
        long mask = 0;
        boolean[] present = byIndex.length > 64 ? new boolean[byIndex.length] : null;
        for (Upstream u : candidates) {
            if (present == null) {
                mask |= 1L << u.index();
            } else {
                present[u.index()] = true;
            }
        }
        while (true) {
            long start = cursor.get();
            // Skipping excluded entries (rather than handing them to the next one) keeps the candidates' split in
            // their weight ratio: their picks are exactly their own entries of the cycle, in order.
            for (long pos = start; ; pos++) {
                if (pos - start == len) {
                    throw new IllegalArgumentException("no candidate belongs to this pool: " + candidates);
                }
                int index = sequence[(int) Math.floorMod(pos, len)];
                boolean member = present == null ? (mask & (1L << index)) != 0 : present[index];
                if (member) {
                    if (cursor.compareAndSet(start, pos + 1)) {
                        return byIndex[index];
                    }
                    break; // another event loop moved the cursor: rescan from where it is now
                }
            }
        }
    }

    private static int[] reducedWeights(List<Upstream> all) {
        int gcd = 0;
        long sum = 0;
        for (Upstream u : all) {
            gcd = gcd(gcd, Math.max(1, u.weight()));
        }
        int[] weights = new int[all.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = Math.max(1, all.get(i).weight()) / gcd;
            sum += weights[i];
        }
        if (sum > MAX_SEQUENCE) {
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (int) Math.max(1, Math.round((double) weights[i] * MAX_SEQUENCE / sum));
            }
        }
        return weights;
    }

    private static int[] nginxSequence(List<Upstream> all, int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int[] current = new int[weights.length];
        int[] sequence = new int[total];
        for (int pos = 0; pos < total; pos++) {
            int best = -1;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (best < 0 || current[i] > current[best]) { // strict: ties go to the earlier peer, as in nginx
                    best = i;
                }
            }
            current[best] -= total;
            sequence[pos] = all.get(best).index();
        }
        return sequence;
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
