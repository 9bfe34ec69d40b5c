package io.railyard.subscription;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubscribersTest {

    private Vertx vertx;
    private Context loopA;
    private Context loopB;

    @BeforeEach
    void twoEventLoops() throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        // Each new event-loop context takes the next loop, as connections do.
        loopA = ((VertxInternal) vertx).createEventLoopContext();
        loopB = ((VertxInternal) vertx).createEventLoopContext();
        assertFalse(threadOf(loopA).equals(threadOf(loopB)), "two contexts on different event loops");
    }

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void eachSubscriberIsToldOnItsOwnLoopAndDoneRunsOnceAfterAll() throws Exception {
        Subscribers subscribers = new Subscribers();
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Probe p = new Probe(i % 3 == 0 ? loopA : i % 3 == 1 ? loopB : null);
            probes.add(p);
            assertTrue(subscribers.add(p));
        }
        assertFalse(subscribers.add(probes.get(0)), "added once");
        AtomicInteger done = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(1);
        Map<Probe, String> toldOn = new ConcurrentHashMap<>();
        // Told from loop A, as a stream on that loop would: A's subscribers at once, B's in one task on B.
        loopA.runOnContext(v -> subscribers.each(s -> toldOn.put((Probe) s, Thread.currentThread().getName()), () -> {
            done.incrementAndGet();
            finished.countDown();
        }));
        assertTrue(finished.await(5, TimeUnit.SECONDS));
        assertEquals(6, toldOn.size());
        String a = threadOf(loopA), b = threadOf(loopB);
        for (Probe p : probes) {
            String expected = p.loop == loopB ? b : a;   // no loop: the caller's thread, here loop A
            assertEquals(expected, toldOn.get(p), "subscriber " + probes.indexOf(p));
        }
        Thread.sleep(50);
        assertEquals(1, done.get(), "done runs once");
    }

    @Test
    void successiveNotificationsReachEverySubscriberInOrder() throws Exception {
        Subscribers subscribers = new Subscribers();
        Probe onA = new Probe(loopA), onB = new Probe(loopB);
        subscribers.add(onA);
        subscribers.add(onB);
        CountDownLatch finished = new CountDownLatch(1);
        loopA.runOnContext(v -> {
            for (int n = 0; n < 1000; n++) {
                int block = n;
                subscribers.each(s -> ((Probe) s).seen.add(block), block == 999 ? finished::countDown : () -> { });
            }
        });
        assertTrue(finished.await(5, TimeUnit.SECONDS));
        for (Probe p : List.of(onA, onB)) {
            assertEquals(1000, p.seen.size());
            for (int n = 0; n < 1000; n++) {
                assertEquals(n, p.seen.get(n));
            }
        }
    }

    @Test
    void aRemovedSubscriberIsNoLongerToldAndNobodyLeftMeansDoneAtOnce() {
        Subscribers subscribers = new Subscribers();
        Probe p = new Probe(null);
        subscribers.add(p);
        assertTrue(subscribers.remove(p));
        assertFalse(subscribers.remove(p));
        assertTrue(subscribers.isEmpty());
        AtomicInteger done = new AtomicInteger();
        subscribers.each(s -> ((Probe) s).seen.add(1), done::incrementAndGet);
        assertEquals(List.of(), p.seen);
        assertEquals(1, done.get());
    }

    private static String threadOf(Context context) throws Exception {
        CompletableFuture<String> name = new CompletableFuture<>();
        context.runOnContext(v -> name.complete(Thread.currentThread().getName()));
        return name.get(5, TimeUnit.SECONDS);
    }

    private static final class Probe implements Subscriber {
        final Context loop;
        final List<Integer> seen = Collections.synchronizedList(new ArrayList<>());

        Probe(Context loop) {
            this.loop = loop;
        }

        @Override
        public SubscriptionKind kind() {
            return SubscriptionKind.NEW_HEADS;
        }

        @Override
        public LogFilter filter() {
            return null;
        }

        @Override
        public Context loop() {
            return loop;
        }

        @Override
        public void deliver(Notification notification) {
        }

        @Override
        public void end(String reason) {
        }
    }
}
