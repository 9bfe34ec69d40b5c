package io.railyard.edge.http;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Whether one more refusal of an origin deserves a log line: at most one a minute per origin, and only for the first
 * {@link #MAX_ORIGINS} origins seen in a minute, so a page retrying in a loop or a flood of made-up origins can fill
 * neither the log nor memory (every refusal is still counted in the metric).
 */
public final class RefusalLog {

    static final long WINDOW_MILLIS = 60_000;
    static final int MAX_ORIGINS = 1000;

    private final ConcurrentHashMap<String, Long> lastLogged = new ConcurrentHashMap<>();
    private final LongSupplier millis;

    /** @param millis the clock, in milliseconds */
    RefusalLog(LongSupplier millis) {
        this.millis = millis;
    }

    /** @param origin the origin as it will be logged (already shortened and made printable) */
    boolean shouldLog(String origin) {
        long now = millis.getAsLong();
        if (lastLogged.size() >= MAX_ORIGINS && !lastLogged.containsKey(origin)) {
            lastLogged.values().removeIf(last -> now - last >= WINDOW_MILLIS);
            if (lastLogged.size() >= MAX_ORIGINS) {
                return false;
            }
        }
        boolean[] log = new boolean[1];
        lastLogged.compute(origin, (k, last) -> {
            if (last == null || now - last >= WINDOW_MILLIS) {
                log[0] = true;
                return now;
            }
            return last;
        });
        return log[0];
    }
}
