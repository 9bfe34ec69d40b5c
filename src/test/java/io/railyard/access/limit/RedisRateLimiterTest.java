package io.railyard.access.limit;

import io.railyard.testing.Await;
import io.railyard.testing.RedisServer;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared tier against a real redis-server: two "replicas" (two Vert.x instances, two clients) share one limit. */
class RedisRateLimiterTest {

    private static RedisServer redis;
    private static Vertx replicaA;
    private static Vertx replicaB;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
        replicaA = Vertx.vertx();
        replicaB = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        replicaA.close();
        replicaB.close();
        redis.close();
    }

    private static Decision decide(RateLimiter limiter, String bucket, Limit limit) throws Exception {
        return limiter.acquire(bucket, limit, 1).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void twoReplicasTogetherAdmitTheConfiguredRateAtThreeTimesTheLoad() throws Exception {
        Limit limit = new Limit(100, 10);
        RedisRateLimiter a = new RedisRateLimiter(replicaA, redis.url(), true, 500, "test:");
        RedisRateLimiter b = new RedisRateLimiter(replicaB, redis.url(), true, 500, "test:");
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger backendDown = new AtomicInteger();
        long seconds = 10;
        long started = System.nanoTime();
        CountDownLatch done = new CountDownLatch(2);
        for (Object[] replica : new Object[][]{{replicaA, a}, {replicaB, b}}) {
            Vertx vertx = (Vertx) replica[0];
            RateLimiter limiter = (RateLimiter) replica[1];
            AtomicInteger outstanding = new AtomicInteger();
            // 3 calls every 20 ms = 150/s per replica, 300/s together: three times the limit.
            long timer = vertx.setPeriodic(20, id -> {
                for (int i = 0; i < 3; i++) {
                    outstanding.incrementAndGet();
                    limiter.acquire("shared", limit, 1).onComplete(r -> {
                        if (r.result().backendDown()) {
                            backendDown.incrementAndGet();
                        } else if (r.result().allowed()) {
                            admitted.incrementAndGet();
                        } else {
                            refused.incrementAndGet();
                        }
                        outstanding.decrementAndGet();
                    });
                }
            });
            vertx.setTimer(TimeUnit.SECONDS.toMillis(seconds), t -> {
                vertx.cancelTimer(timer);
                // Wait for the last replies without blocking the event loop that delivers them.
                vertx.setPeriodic(10, check -> {
                    if (outstanding.get() == 0) {
                        vertx.cancelTimer(check);
                        done.countDown();
                    }
                });
            });
        }
        assertTrue(done.await(seconds + 20, TimeUnit.SECONDS));
        double elapsed = (System.nanoTime() - started) / 1e9;
        double expected = limit.rate() * elapsed + limit.burst();
        System.out.printf("shared limit: admitted %d, refused %d over %.2f s; expected %.0f%n", admitted.get(), refused.get(), elapsed, expected);
        assertEquals(0, backendDown.get());
        assertTrue(refused.get() > admitted.get(), "the load really was above the limit");
        assertEquals(expected, admitted.get(), expected * 0.05, "two replicas enforce one limit, not two");
        a.close();
        b.close();
    }

    @Test
    void redisOutageSwitchesToTheFailureModeAndRecoveryRestoresSharedLimits() throws Exception {
        Limit limit = new Limit(1, 2);
        RedisRateLimiter open = new RedisRateLimiter(replicaA, redis.url(), true, 200, "outage:");
        RedisRateLimiter closed = new RedisRateLimiter(replicaB, redis.url(), false, 200, "outage:");
        assertTrue(decide(open, "c", limit).allowed());
        assertTrue(decide(closed, "c", limit).allowed());
        assertFalse(decide(open, "c", limit).allowed(), "the two share one bucket of 2");

        redis.kill();
        Decision failOpen = decide(open, "c", limit);
        assertTrue(failOpen.allowed() && failOpen.backendDown(), "fail-open admits while Redis is down");
        Decision failClosed = decide(closed, "c", limit);
        assertTrue(!failClosed.allowed() && failClosed.backendDown(), "fail-closed refuses while Redis is down");
        assertFalse(open.available());

        redis.restart();
        AtomicReference<Decision> last = new AtomicReference<>();
        Await.until("Redis answers again", () -> {
            try {
                last.set(decide(open, "fresh", limit));
                return !last.get().backendDown();
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(open.available());
        assertTrue(last.get().allowed());
        assertTrue(decide(closed, "fresh", limit).allowed());
        assertFalse(decide(open, "fresh", limit).allowed(), "shared limiting is back");
        open.close();
        closed.close();
    }
}
