package io.railyard.upstream;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.railyard.config.RailyardConfig;
import io.railyard.evm.BlockRef;
import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Probes every upstream each {@code railyard.health.interval} ({@code eth_chainId}, {@code eth_blockNumber},
 * {@code eth_getBlockByNumber} of {@code "finalized"} and of {@code "safe"}, {@code eth_syncing}) and applies
 * {@link HealthPolicy}: the network's best head, finalized and safe blocks, and each upstream's ejection or
 * readmission, logged once per change.
 * All state here is touched only from the probing timer's event loop.
 */
@ApplicationScoped
public class HealthChecker {

    private static final Logger LOG = Logger.getLogger(HealthChecker.class);
    private static final byte[] NO_PARAMS = "[]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FINALIZED = "[\"finalized\",false]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SAFE = "[\"safe\",false]".getBytes(StandardCharsets.US_ASCII);

    @Inject
    UpstreamPools pools;

    @Inject
    RailyardConfig config;

    @Inject
    Vertx vertx;

    @Inject
    Clock clock;

    private HealthPolicy policy;
    private final Map<Upstream, Counters> counters = new HashMap<>();
    private long timerId = -1;
    /** The one event loop every round runs on. */
    private Context context;
    /** {@code health.timeout}, or the interval and at least 500 ms. */
    private long probeTimeoutMs;

    private static final class Counters {
        int failures;
        int successes;
        boolean everAdmitted;
        /** The kind of unfitness last logged, so a never-admitted upstream is reported once per kind. */
        String loggedUnfit;
        /** Whether a never-admitted upstream's failed probes were logged (once). */
        boolean loggedNeverReached;
        /** Whether the upstream was healthy after the last verdict: if not now, something else ejected it. */
        boolean healthyAfterLastVerdict;
        /** {@link Upstream#headStamp()} when the round's probe was sent. */
        long headStampAtProbe;
    }

    void onStart(@Observes StartupEvent event) {
        RailyardConfig.HealthConfig health = config.health();
        policy = new HealthPolicy(health.maxLag(), health.failuresToEject(), health.successesToReadmit());
        probeTimeoutMs = health.timeout().map(Duration::toMillis).orElse(Math.max(500, health.interval().toMillis()));
        for (UpstreamPool pool : pools.all().values()) {
            for (Upstream u : pool.upstreams()) {
                u.markEjected("not probed yet", clock.millis());
                counters.put(u, new Counters());
            }
        }
        // Startup waits (bounded) for the first round so that the first requests find admitted upstreams.
        // One context for every round, so the counters are only ever touched from one event loop.
        context = vertx.getOrCreateContext();
        CountDownLatch firstRound = new CountDownLatch(1);
        context.runOnContext(v -> probeAll().onComplete(done -> firstRound.countDown()));
        try {
            firstRound.await(Math.max(3000, health.interval().toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        context.runOnContext(v -> timerId = vertx.setPeriodic(health.interval().toMillis(), id -> probeAll()));
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    /**
     * Runs one probing round now, on the probing loop like the timer's rounds, and completes once its verdicts are
     * applied. Tests that drive the rounds themselves (with a long {@code health.interval}) call it, so that what
     * they assert follows from the rounds run, not from how much time passed.
     */
    public Future<Void> probeRound() {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> probeAll().onComplete(done));
        return done.future();
    }

    /** One probing round over every network; completes when every verdict is applied. Probing loop only. */
    private Future<Void> probeAll() {
        List<Future<Void>> rounds = new ArrayList<>();
        for (UpstreamPool pool : pools.all().values()) {
            rounds.add(probeNetwork(pool));
        }
        return Future.join(rounds).mapEmpty();
    }

    private Future<Void> probeNetwork(UpstreamPool pool) {
        List<Future<ProbeResult>> probes = new ArrayList<>();
        for (Upstream u : pool.upstreams()) {
            counters.get(u).headStampAtProbe = u.headStamp();
            probes.add(probe(u));
        }
        return Future.join(probes).map(all -> {
            List<Upstream> ups = pool.upstreams();
            long[] usable = new long[ups.size()];
            List<HealthPolicy.Vote> votes = new ArrayList<>(ups.size());
            for (int i = 0; i < ups.size(); i++) {
                ProbeResult r = probes.get(i).result();
                usable[i] = r.ok() && r.chainId() == pool.chainId() && !r.syncing() ? r.head() : -1;
                votes.add(new HealthPolicy.Vote(usable[i], ups.get(i).isHealthy()));
            }
            long best = policy.electHead(votes);
            for (int i = 0; i < ups.size(); i++) {
                apply(pool, ups.get(i), probes.get(i).result(), best);
            }
            pool.bestHead(best);
            panicRule(pool, usable);
            pool.raiseServedHead(best);
            pool.finalized(lowestAmongHealthy(pool, Upstream::finalized));
            pool.safe(lowestAmongHealthy(pool, Upstream::safe));
            return null;
        });
    }

    /**
     * When this round's verdicts leave no healthy upstream, the best of those that answered serve anyway (soft rules
     * and readmission waits set aside), rather than every read of the network failing; logged on entry and exit.
     */
    private void panicRule(UpstreamPool pool, long[] usable) {
        boolean anyHealthy = pool.upstreams().stream().anyMatch(Upstream::isHealthy);
        List<Upstream> serving = new ArrayList<>();
        if (!anyHealthy) {
            for (int i : policy.panicServers(usable)) {
                serving.add(pool.upstreams().get(i));
            }
        }
        List<Upstream> before = pool.panicUpstreams();
        for (Upstream u : serving) {
            if (!before.contains(u)) {
                // An open breaker would refuse every call before it reached the node.
                u.breaker().reset();
            }
        }
        if (!serving.isEmpty() && !serving.equals(before)) {
            LOG.warnf("network %s in panic: no upstream passes the health rules; serving from %s (head %d) until one does",
                    pool.network(), serving.stream().map(Upstream::name).toList(), serving.get(0).head());
        } else if (serving.isEmpty() && !before.isEmpty()) {
            LOG.infof("network %s out of panic: %s healthy again", pool.network(),
                    pool.upstreams().stream().filter(Upstream::isHealthy).map(Upstream::name).toList());
        }
        pool.panic(serving);
    }

    private void apply(UpstreamPool pool, Upstream u, ProbeResult r, long best) {
        Counters c = counters.get(u);
        if (c.healthyAfterLastVerdict && !u.isHealthy()) {
            // Its circuit breaker opened since the last round: readmission starts counting from here.
            c.successes = 0;
        }
        verdict(pool, u, c, r, best);
        c.healthyAfterLastVerdict = u.isHealthy();
    }

    private void verdict(UpstreamPool pool, Upstream u, Counters c, ProbeResult r, long best) {
        if (!r.ok()) {
            c.successes = 0;
            c.failures++;
            if (u.isHealthy() && policy.ejectsAfter(c.failures)) {
                eject(u, HealthPolicy.PROBE_FAILURES, c.failures + " consecutive failed probes, last: " + r.failure());
            } else if (!u.isHealthy() && !c.everAdmitted) {
                if (!c.loggedNeverReached) {
                    // Otherwise an upstream down from the start shows only as 503s to clients.
                    LOG.warnf("%s not admitted: probe failed: %s", u, r.failure());
                    c.loggedNeverReached = true;
                }
                u.markEjected("probe failed: " + r.failure(), clock.millis());
            }
            return;
        }
        c.failures = 0;
        u.probedHead(r.head(), c.headStampAtProbe);
        if (r.finalized() >= 0) {
            u.finalized(r.finalized());
        } else if (r.finalized() == ProbeResult.UNSUPPORTED) {
            u.finalized(Math.max(-1, r.head() - pool.finalityDepth()));
        }
        // UNKNOWN (the finalized probe failed): keep the last known value; guessing from the head could call an
        // unfinalized block final while finality stalls.
        if (r.safe() >= 0) {
            u.safe(r.safe());
        } else if (r.safe() == ProbeResult.UNSUPPORTED) {
            // A node without the tag: its final block is the newest it can call safe.
            u.safe(u.finalized());
        }
        HealthPolicy.Unfit unfit = policy.unfit(r, pool.chainId(), best);
        if (unfit != null) {
            c.successes = 0;
            if (u.isHealthy()) {
                eject(u, unfit.tag(), unfit.detail());
            } else {
                // Keep the reason current (lag figures move) and log only a new kind of reason.
                u.markEjected(unfit.detail(), clock.millis());
                if (!unfit.tag().equals(c.loggedUnfit)) {
                    LOG.warnf("%s not used: %s", u, unfit.detail());
                }
            }
            c.loggedUnfit = unfit.tag();
            return;
        }
        c.loggedUnfit = null;
        c.successes++;
        if (!u.isHealthy() && (!c.everAdmitted || policy.readmitsAfter(c.successes))) {
            String was = u.stateReason();
            // Logged before the state flips, so whoever sees the upstream healthy can also find the line.
            LOG.infof("%s %s: head %d (was: %s)", u, c.everAdmitted ? "readmitted" : "admitted", r.head(), was);
            u.breaker().reset();
            u.markHealthy("healthy", clock.millis());
            c.everAdmitted = true;
        }
    }

    private void eject(Upstream u, String tag, String reason) {
        pools.ejections().eject(u, tag, reason);
    }

    private static long lowestAmongHealthy(UpstreamPool pool, ToLongFunction<Upstream> block) {
        // The lowest finalized (or safe) block among healthy upstreams: never call a block final that some node
        // serving traffic does not. A healthy node whose block is not known yet makes it unknown.
        long min = Long.MAX_VALUE;
        for (Upstream u : pool.upstreams()) {
            if (u.isHealthy()) {
                long number = block.applyAsLong(u);
                if (number < 0) {
                    return -1;
                }
                min = Math.min(min, number);
            }
        }
        return min == Long.MAX_VALUE ? -1 : min;
    }

    private Future<ProbeResult> probe(Upstream u) {
        UpstreamClient client = pools.client();
        CallScope scope = CallScope.detached();
        Future<RpcAnswer> chainId = client.call(u, "eth_chainId", NO_PARAMS, probeTimeoutMs, scope);
        Future<RpcAnswer> head = client.call(u, "eth_blockNumber", NO_PARAMS, probeTimeoutMs, scope);
        Future<RpcAnswer> finalized = client.call(u, "eth_getBlockByNumber", FINALIZED, probeTimeoutMs, scope);
        Future<RpcAnswer> safe = client.call(u, "eth_getBlockByNumber", SAFE, probeTimeoutMs, scope);
        Future<RpcAnswer> syncing = client.call(u, "eth_syncing", NO_PARAMS, probeTimeoutMs, scope);
        return Future.join(List.of(chainId, head, finalized, safe, syncing)).transform(done -> {
            try {
                if (chainId.failed()) {
                    return Future.succeededFuture(ProbeResult.failed(chainId.cause().getMessage()));
                }
                if (head.failed()) {
                    return Future.succeededFuture(ProbeResult.failed(head.cause().getMessage()));
                }
                long id = quantity(chainId.result(), "eth_chainId");
                long number = quantity(head.result(), "eth_blockNumber");
                long fin = taggedBlockNumber(finalized);
                long safeNumber = taggedBlockNumber(safe);
                boolean isSyncing = syncing.succeeded() && !syncing.result().isError()
                        && !"false".equals(text(syncing.result().result()).trim());
                return Future.succeededFuture(new ProbeResult(id, number, fin, safeNumber, isSyncing, null));
            } catch (RuntimeException e) {
                return Future.succeededFuture(ProbeResult.failed(e.getMessage()));
            }
        });
    }

    private static long taggedBlockNumber(Future<RpcAnswer> answer) {
        if (answer.failed()) {
            return ProbeResult.UNKNOWN;
        }
        if (answer.result().isError() || answer.result().isNullResult()) {
            return ProbeResult.UNSUPPORTED;
        }
        Object block = Json.decodeValue(text(answer.result().result()));
        if (block instanceof JsonObject o && o.getValue("number") instanceof String n) {
            return parseQuantity(n);
        }
        return ProbeResult.UNSUPPORTED;
    }

    private static long quantity(RpcAnswer answer, String method) {
        if (answer.isError()) {
            throw new IllegalStateException(method + " answered error " + answer.errorCode() + " " + answer.errorText());
        }
        String raw = text(answer.result()).trim();
        if (raw.length() < 3 || raw.charAt(0) != '"') {
            throw new IllegalStateException(method + " answered " + raw);
        }
        return parseQuantity(raw.substring(1, raw.length() - 1));
    }

    static long parseQuantity(String hex) {
        long value = BlockRef.parseQuantity(hex);
        if (value < 0) {
            throw new IllegalStateException("not a hex quantity: " + hex);
        }
        return value;
    }

    private static String text(byte[] raw) {
        return new String(raw, StandardCharsets.UTF_8);
    }
}
