package io.railyard.devnet;

/**
 * The devnet's latest block: what every node in sync reports as {@code latest}. The miner advances it; the repairer
 * brings nodes to it. Guarded by the devnet's lock.
 */
final class ChainHead {
    long height;
    String hash;

    void set(long height, String hash) {
        this.height = height;
        this.hash = hash;
    }
}
