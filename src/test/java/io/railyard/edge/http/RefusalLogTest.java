package io.railyard.edge.http;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RefusalLogTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final RefusalLog log = new RefusalLog(now::get);

    @Test
    void anOriginIsLoggedAtMostOnceAMinute() {
        assertTrue(log.shouldLog("'https://evil.example'"));
        assertFalse(log.shouldLog("'https://evil.example'"));
        now.addAndGet(RefusalLog.WINDOW_MILLIS - 1);
        assertFalse(log.shouldLog("'https://evil.example'"), "still within the minute");
        assertTrue(log.shouldLog("'https://other.example'"), "each origin has its own minute");
        now.addAndGet(1);
        assertTrue(log.shouldLog("'https://evil.example'"), "a minute later, once more");
        assertFalse(log.shouldLog("'https://evil.example'"));
    }

    @Test
    void aFloodOfMadeUpOriginsIsNotLoggedBeyondTheBound() {
        for (int i = 0; i < RefusalLog.MAX_ORIGINS; i++) {
            assertTrue(log.shouldLog("'https://o" + i + ".example'"));
        }
        assertFalse(log.shouldLog("'https://one-too-many.example'"), "memory and log stay bounded");
        now.addAndGet(RefusalLog.WINDOW_MILLIS);
        assertTrue(log.shouldLog("'https://one-too-many.example'"), "room again once the minute is over");
    }
}
