package io.railyard.upstream.select;

import io.railyard.upstream.SelectionPolicy;
import io.railyard.upstream.Upstream;

import java.util.List;

/**
 * Keeps each client on one upstream (so its filters and pending-nonce views stay consistent) using weighted
 * rendezvous hashing: when an upstream drops out only its own clients move, and they spread over the rest by weight.
 */
public final class IpHash implements SelectionPolicy {

    /** Per-upstream hash of its name, indexed by index(), so a pick hashes only the client key. */
    private final long[] seeds;

    public IpHash(List<Upstream> all) {
        int maxIndex = all.stream().mapToInt(Upstream::index).max().orElse(-1);
        seeds = new long[maxIndex + 1];
        for (Upstream u : all) {
            seeds[u.index()] = hash(u.name());
        }
    }

    @Override
    public Upstream pick(List<Upstream> candidates, String clientKey) {
        long key = hash(clientKey == null ? "" : clientKey);
        Upstream best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (Upstream u : candidates) {
            // u uniform in (0,1), never 0 or 1, so ln(u) is finite and negative; -w/ln(u) makes an upstream's chance
            // of holding the maximum exactly proportional to its weight.
            double uniform = ((mix(key ^ seeds[u.index()]) >>> 11) + 0.5) * 0x1.0p-53;
            double score = -u.weight() / Math.log(uniform);
            if (score > bestScore) {
                best = u;
                bestScore = score;
            }
        }
        return best;
    }

    /** Stable across JVMs and restarts (unlike String.hashCode's 32 bits, too few for rendezvous), so clients stick. */
    static long hash(String s) {
        long h = 0x9E3779B97F4A7C15L ^ s.length();
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0xFF51AFD7ED558CCDL;
            h ^= h >>> 32;
        }
        return mix(h);
    }

    /** splitmix64's finalizer: every input bit flips about half the output bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
