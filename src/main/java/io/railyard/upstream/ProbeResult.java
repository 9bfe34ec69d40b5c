package io.railyard.upstream;

/**
 * What one health probe learned of an upstream.
 *
 * @param chainId   the reported chain id
 * @param head      the reported head block
 * @param finalized the reported finalized block, -1 when the node does not support the tag
 * @param syncing   whether the node says it is syncing
 * @param failure   why the probe failed, or null when it succeeded
 */
public record ProbeResult(long chainId, long head, long finalized, boolean syncing, String failure) {

    public static ProbeResult failed(String why) {
        return new ProbeResult(-1, -1, -1, false, why);
    }

    public boolean ok() {
        return failure == null;
    }
}
