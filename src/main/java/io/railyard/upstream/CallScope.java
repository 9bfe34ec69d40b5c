package io.railyard.upstream;

import java.util.ArrayList;
import java.util.List;

/**
 * Ties upstream calls to the client request they serve, so that a client who hangs up cancels them.
 * Touched only from the client connection's event loop, hence no locking.
 */
public final class CallScope {

    private List<Runnable> cancellers;
    private boolean cancelled;

    /** A scope that is never cancelled (health probes). */
    public static CallScope detached() {
        return new CallScope();
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Registers what to do on cancellation; runs it at once when the scope is already cancelled. */
    public void onCancel(Runnable canceller) {
        if (cancelled) {
            canceller.run();
            return;
        }
        if (cancellers == null) {
            cancellers = new ArrayList<>(2);
        }
        cancellers.add(canceller);
    }

    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        if (cancellers != null) {
            for (Runnable c : cancellers) {
                c.run();
            }
            cancellers = null;
        }
    }
}
