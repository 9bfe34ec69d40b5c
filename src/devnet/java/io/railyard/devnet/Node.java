package io.railyard.devnet;

import java.net.URI;
import java.nio.file.Path;

/**
 * One anvil node of the devnet. Port, URL and process are volatile because {@link Devnet#kill(int)}, the URL getters
 * and the shutdown hook read them without the devnet's lock; the rest is the miner's bookkeeping, guarded by that
 * lock.
 */
final class Node {
    final int index;
    final Path log;
    volatile int port;
    volatile URI url;
    volatile Process process;
    boolean held;
    /** The devnet height this node was last seen holding (trusted only while {@link #needsSync} is false). */
    long head;
    /** Its chain may differ from the devnet's: check (and repair) it before mining on it. */
    boolean needsSync;
    // Each problem is logged once, not on every tick, until the node recovers.
    boolean downLogged;
    boolean unreachableLogged;

    Node(int index, Path log) {
        this.index = index;
        this.log = log;
    }

    boolean alive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The node is at the devnet's head again: trust it, and log its next problem. */
    void recovered() {
        needsSync = false;
        unreachableLogged = false;
        downLogged = false;
    }
}
