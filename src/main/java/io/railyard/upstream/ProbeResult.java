package io.railyard.upstream;

/**
 * What one health probe learned of an upstream.
 *
 * @param chainId   the reported chain id
 * @param head      the reported head block
 * @param finalized the reported finalized block, {@link #UNSUPPORTED} when the node does not support the tag,
 *                  {@link #UNKNOWN} when the finalized probe itself failed (timeout, 5xx)
 * @param safe      the reported safe block, with the same two special values
 * @param syncing   whether the node says it is syncing
 * @param failure   why the probe failed, or null when it succeeded
 */
public record ProbeResult(long chainId, long head, long finalized, long safe, boolean syncing, String failure) {

    public static final long UNSUPPORTED = -1;
    public static final long UNKNOWN = -2;

    public static ProbeResult failed(String why) {
        return new ProbeResult(-1, -1, -1, -1, false, why);
    }

    public boolean ok() {
        return failure == null;
    }
}
