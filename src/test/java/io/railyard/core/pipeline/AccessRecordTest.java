package io.railyard.core.pipeline;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch entries finish on several event loops: the access record's cache-hit count must lose none of them. */
class AccessRecordTest {

    @Test
    void cacheHitsCountedFromManyThreadsAtOnceAreAllCounted() throws InterruptedException {
        AccessRecord record = new AccessRecord(RequestId.next(), com.github.benmanes.caffeine.cache.Ticker.systemTicker());
        int threads = 4;
        int each = 5_000_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < each; i++) {
                    record.cacheHit();
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        String line = record.line(200, false);
        assertTrue(line.contains(" cache_hits=" + threads * each + " "), line);
    }
}
