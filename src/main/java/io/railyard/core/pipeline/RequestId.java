package io.railyard.core.pipeline;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Names one client request (a body, single or batch) in the gateway's own errors, in the log line that tells an
 * operator what failed, and in the access log: a client quotes it, the operator greps for it. Random rather than a
 * sequence, so ids say nothing about traffic volume and need no coordination between event loops; the hex text is
 * made only when something needs it.
 */
public final class RequestId {

    private static final int HEX_DIGITS = 12;

    private final long bits;
    private String text;

    private RequestId(long bits) {
        this.bits = bits;
    }

    public static RequestId next() {
        return new RequestId(ThreadLocalRandom.current().nextLong());
    }

    /** Twelve lowercase hex digits (48 random bits). */
    @Override
    public String toString() {
        String t = text;
        if (t == null) {
            // Computed the same way on whichever event loop asks first: a race only computes it twice.
            char[] out = new char[HEX_DIGITS];
            long v = bits;
            for (int i = HEX_DIGITS - 1; i >= 0; i--) {
                out[i] = Character.forDigit((int) (v & 0xF), 16);
                v >>>= 4;
            }
            t = new String(out);
            text = t;
        }
        return t;
    }
}
