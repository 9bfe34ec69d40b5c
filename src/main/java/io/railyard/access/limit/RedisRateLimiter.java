package io.railyard.access.limit;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Buckets shared by every replica in Redis, so N replicas enforce one limit rather than N. Each check is one
 * atomic Lua script (GCRA on Redis's own clock, so replicas need not agree on time). When Redis cannot answer
 * within the timeout, the configured failure mode decides, and the outage is logged once.
 */
public final class RedisRateLimiter implements RateLimiter {

    private static final Logger LOG = Logger.getLogger(RedisRateLimiter.class);

    static final String SCRIPT = """
            if redis.replicate_commands then redis.replicate_commands() end
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local interval = tonumber(ARGV[1])
            local capacity = tonumber(ARGV[2])
            local cost = tonumber(ARGV[3])
            local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
            if tat < now then tat = now end
            local new_tat = tat + cost * interval
            local allow_at = new_tat - capacity
            if allow_at > now then return {0, allow_at - now, 0} end
            redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1000)
            return {1, 0, math.floor((capacity - (new_tat - now)) / interval)}
            """;

    private final Vertx vertx;
    private final Redis redis;
    private final boolean failOpen;
    private final long timeoutMs;
    private final String prefix;
    private final AtomicBoolean up = new AtomicBoolean(true);

    public RedisRateLimiter(Vertx vertx, String url, boolean failOpen, long timeoutMs, String prefix) {
        this.vertx = vertx;
        this.failOpen = failOpen;
        this.timeoutMs = timeoutMs;
        this.prefix = prefix;
        this.redis = Redis.createClient(vertx, new RedisOptions()
                .setConnectionString(url)
                .setMaxPoolSize(16)
                .setMaxPoolWaiting(4096)
                .setMaxWaitingHandlers(4096));
    }

    @Override
    public Future<Decision> acquire(String bucket, Limit limit, int cost) {
        if (limit.unlimited()) {
            return Future.succeededFuture(Decision.allow(Long.MAX_VALUE));
        }
        long intervalMicros = Math.max(1, (long) (1_000_000 / limit.rate()));
        long capacityMicros = (long) (limit.burst() * intervalMicros);
        Request eval = Request.cmd(Command.EVAL).arg(SCRIPT).arg(1).arg(prefix + bucket)
                .arg(intervalMicros).arg(capacityMicros).arg(cost);
        Promise<Decision> decision = Promise.promise();
        long timer = vertx.setTimer(timeoutMs, t -> {
            if (decision.tryComplete(backendDown("no answer within " + timeoutMs + " ms"))) {
                return;
            }
        });
        redis.send(eval).onComplete(done -> {
            vertx.cancelTimer(timer);
            if (done.failed()) {
                decision.tryComplete(backendDown(String.valueOf(done.cause().getMessage())));
                return;
            }
            if (up.compareAndSet(false, true)) {
                LOG.info("rate limiting: Redis reachable again, limits are shared across replicas");
            }
            Response r = done.result();
            decision.tryComplete(r.get(0).toInteger() == 1
                    ? Decision.allow(r.get(2).toLong())
                    : Decision.refuse(r.get(1).toLong() * 1000));
        });
        return decision.future();
    }

    private Decision backendDown(String why) {
        if (up.compareAndSet(true, false)) {
            LOG.warnf("rate limiting: Redis unreachable (%s); %s until it is back", why,
                    failOpen ? "admitting requests without limits (fail-open)" : "refusing limited requests (fail-closed)");
        }
        return failOpen ? new Decision(true, 0, 0, true) : new Decision(false, 1_000_000_000L, 0, true);
    }

    @Override
    public boolean available() {
        return up.get();
    }

    @Override
    public void close() {
        redis.close();
    }
}
