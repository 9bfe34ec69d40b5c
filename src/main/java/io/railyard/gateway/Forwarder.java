package io.railyard.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.railyard.evm.BlockRef;
import io.railyard.evm.HeadEvidence;
import io.railyard.evm.Keccak256;
import io.railyard.evm.MethodCatalog;
import io.railyard.evm.MethodSpec;
import io.railyard.evm.NodeErrors;
import io.railyard.evm.Trait;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.jsonrpc.RpcRequest;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.Redact;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamClient;
import io.railyard.upstream.UpstreamFailure;
import io.railyard.upstream.UpstreamPool;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The last stage: picks an upstream and sends the call, failing over to another upstream within the call's
 * deadline and a bounded number of tries when a try fails in a way another node could fix. Writes that a node
 * may have received are never re-sent, except signed transactions, which are nonce-protected and are broadcast
 * to every healthy upstream at once. When no upstream answers, the client is told why in a reason class only
 * ({@link Unavailable}, {@link UpstreamFailure#reason()}) and the log line with the same request id has the details.
 */
final class Forwarder implements RpcInterceptor {

    private static final Logger LOG = Logger.getLogger(Forwarder.class);

    /** What a failed try tells: the reason class a client may read, and the details only the log gets. */
    private record Miss(Upstream upstream, String reason, String detail) {
        static Miss of(Upstream upstream, Throwable failure) {
            return failure instanceof UpstreamFailure f ? new Miss(upstream, f.reason(), f.getMessage())
                    : new Miss(upstream, UpstreamFailure.Kind.RESET.reason(), upstream + ": " + failure);
        }
    }

    /** A node said it lacks the data (unknown block, missing trie node) and another was asked. */
    private static final String LACKS_DATA = "node lacks the data";

    private final UpstreamClient client;
    private final boolean exposeUpstreamNames;
    private final int maxAttempts;
    private final long tryTimeoutMs;
    private final ForwardStats stats;
    /** Which upstream created each filter id: filters live in one node's memory. */
    private final Cache<String, Upstream> filterOwners = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofMinutes(15))
            .maximumSize(100_000)
            .executor(Runnable::run)
            .build();

    Forwarder(UpstreamClient client, int maxAttempts, long tryTimeoutMs, ForwardStats stats, boolean exposeUpstreamNames) {
        this.client = client;
        this.exposeUpstreamNames = exposeUpstreamNames;
        this.maxAttempts = maxAttempts;
        this.tryTimeoutMs = tryTimeoutMs;
        this.stats = stats;
    }

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        MethodSpec spec = MethodCatalog.spec(call.method());
        if (spec.has(Trait.BROADCAST) && call.pool().broadcastTransactions()) {
            return broadcast(call);
        }
        if (spec.has(Trait.FILTER_USE)) {
            Upstream owner = filterOwner(call);
            if (owner != null) {
                return sendTo(owner, call);
            }
        }
        long minHead = BlockRef.highestBlockNamed(call.request()).orElse(-1);
        Promise<RpcAnswer> result = Promise.promise();
        if (call.batch() != null && groupable(spec)) {
            call.batch().add(new BatchGroup.Pending(call, spec, minHead, result));
        } else {
            new Attempt(call, spec, minHead, result).tryNext();
        }
        return result.future();
    }

    /**
     * One call's way through its tries: the upstreams tried so far, how many tries there were, what the last one
     * missed, and the promise the client's answer completes.
     */
    private final class Attempt {
        private final RpcCall call;
        private final MethodSpec spec;
        /** The block the call names, which a node must have (-1: none). */
        private final long minHead;
        private final Promise<RpcAnswer> result;
        /** The upstreams tried before the current try, as {@link UpstreamPool#exclude} builds them. */
        private long tried;
        /** Tries so far, the current one included. */
        private int tries;
        private Miss lastMiss;

        Attempt(RpcCall call, MethodSpec spec, long minHead, Promise<RpcAnswer> result) {
            this.call = call;
            this.spec = spec;
            this.minHead = minHead;
            this.result = result;
        }

        /** Picks an untried upstream and sends the call to it; answers "unavailable" when none is left or time is up. */
        void tryNext() {
            UpstreamPool pool = call.pool();
            List<Upstream> candidates = pool.candidates(minHead, tried);
            long remaining = call.remainingMillis();
            if (candidates.isEmpty() || remaining <= 0) {
                result.complete(unavailable(call, lastMiss, remaining <= 0));
                return;
            }
            tries++;
            Upstream upstream = pool.policy().pick(candidates, call.clientKey());
            send(upstream, call, tryBudget(remaining, tries, candidates.size()), call.scope())
                    .onComplete(done -> settle(upstream, done));
        }

        /** Counts a try that {@code upstream} answered outside this attempt (as an entry of an upstream batch). */
        Attempt triedOnce() {
            tries = 1;
            return this;
        }

        /**
         * Decides what one upstream's outcome means for the call: the answer, another try elsewhere (a failure
         * another node could fix, or a node lacking the data), or a second opinion on a null.
         */
        void settle(Upstream upstream, AsyncResult<RpcAnswer> done) {
            UpstreamPool pool = call.pool();
            boolean canRetry = tries < maxAttempts && !call.scope().isCancelled();
            if (done.succeeded()) {
                RpcAnswer answer = done.result();
                long shown = HeadEvidence.blockShown(call.request(), answer);
                if (pool.plausibleHead(shown)) {
                    // Fresher than the last probe: latest may now mean this block, and this node is known to have it.
                    upstream.raiseHead(shown);
                    pool.raiseServedHead(shown);
                }
                if (canRetry && answer.isError() && !spec.has(Trait.WRITE) && NodeErrors.meansMissingData(answer.errorCode(), answer.errorText())
                        && othersLeft(upstream)) {
                    failOver(upstream, new Miss(upstream, LACKS_DATA, upstream + ": " + answer.errorText()));
                    return;
                }
                if (canRetry && answer.isNullResult() && spec.has(Trait.NULL_RECHECK) && tries == 1 && othersLeft(upstream)) {
                    // A lagging node may not have the transaction or block yet: ask one more before saying null.
                    recheckNull(call, minHead, UpstreamPool.exclude(tried, upstream), answer, result);
                    return;
                }
                if (spec.has(Trait.FILTER_CREATE) && !answer.isError()) {
                    filterOwners.put(filterKey(call.network(), answer.result()), upstream);
                }
                result.complete(answer);
                return;
            }
            UpstreamFailure failure = (UpstreamFailure) done.cause();
            if (failure.kind() == UpstreamFailure.Kind.CANCELLED) {
                result.complete(RpcAnswer.error(RpcErrorCode.RESOURCE_UNAVAILABLE, Unavailable.CANCELLED.message(null), call.requestId()));
                return;
            }
            if (failure.kind() == UpstreamFailure.Kind.ANSWER_BUDGET) {
                // Not the node's fault, and another node's answer would not fit either.
                result.complete(RpcAnswer.error(RpcErrorCode.OVERLOADED, "Gateway overloaded: upstream answers being received"
                        + " fill railyard.forward.max-answer-bytes-in-flight; retry shortly", call.requestId()));
                return;
            }
            boolean mayResend = !spec.has(Trait.NOT_RETRYABLE) || !failure.maybeDelivered();
            if (canRetry && mayResend) {
                failOver(upstream, Miss.of(upstream, failure));
            } else {
                result.complete(unavailable(call, Miss.of(upstream, failure), false));
            }
        }

        private boolean othersLeft(Upstream upstream) {
            return !call.pool().candidates(minHead, UpstreamPool.exclude(tried, upstream)).isEmpty();
        }

        private void failOver(Upstream from, Miss miss) {
            stats.failover(call.network());
            tried = UpstreamPool.exclude(tried, from);
            lastMiss = miss;
            tryNext();
        }
    }

    /**
     * What one try may take: its share of what is left of the deadline among the tries that can still follow, so
     * that nodes that hang (each taking a whole try before it counts as failed) cannot use up the deadline before
     * the node that answers is tried. The last possible try gets all that is left.
     */
    private long tryBudget(long remainingMs, int attempt, int untriedCandidates) {
        int triesLeft = Math.max(1, Math.min(maxAttempts - attempt + 1, untriedCandidates));
        return Math.min(tryTimeoutMs, Math.max(1, remainingMs / triesLeft));
    }

    /** Plain reads: no write, no filter, no broadcast, nothing that must stay on one node or be sent once. */
    private static boolean groupable(MethodSpec spec) {
        return !spec.has(Trait.WRITE) && !spec.has(Trait.BROADCAST) && !spec.has(Trait.NOT_RETRYABLE)
                && !spec.has(Trait.FILTER_CREATE) && !spec.has(Trait.FILTER_USE) && !spec.has(Trait.SUBSCRIPTION);
    }

    /**
     * Sends a client batch's gathered plain reads to one upstream as one JSON-RPC batch. Each entry's answer is
     * then settled on its own, so an entry the node could not answer fails over alone; when the whole batch
     * fails (or the node does not take batches) every entry goes its own way.
     */
    @Override
    public void batchEnded(BatchGroup group) {
        List<BatchGroup.Pending> items = group.drain();
        if (items.isEmpty()) {
            return;
        }
        RpcCall first = items.get(0).call();
        UpstreamPool pool = first.pool();
        long minHead = -1;
        for (BatchGroup.Pending p : items) {
            minHead = Math.max(minHead, p.minHead());
        }
        List<Upstream> candidates = pool.candidates(minHead, 0L);
        long remaining = first.remainingMillis();
        Upstream upstream = candidates.isEmpty() ? null : pool.policy().pick(candidates, first.clientKey());
        if (items.size() == 1 || upstream == null || remaining <= 0 || upstream.batchesRejected()) {
            for (BatchGroup.Pending p : items) {
                attemptOf(p).tryNext();
            }
            return;
        }
        List<RpcRequest> requests = new ArrayList<>(items.size());
        for (BatchGroup.Pending p : items) {
            requests.add(p.call().request());
            if (p.call().access() != null) {
                p.call().access().upstream(upstream.name());
            }
        }
        upstream.startCall();
        long started = System.nanoTime();
        upstream.breaker().call(() -> client.callBatch(upstream, requests, Math.min(tryTimeoutMs, remaining), first.scope()))
                .onComplete(done -> {
                    upstream.endCall();
                    long nanos = System.nanoTime() - started;
                    UpstreamFailure failure = done.failed() ? asFailure(upstream, done.cause()) : null;
                    if (failure == null) {
                        stats.upstreamAnswered(upstream, BATCH_ANSWERED, nanos);
                    } else {
                        stats.upstreamFailed(upstream, failure, nanos);
                    }
                    for (int i = 0; i < items.size(); i++) {
                        BatchGroup.Pending p = items.get(i);
                        if (failure != null && failure.kind() == UpstreamFailure.Kind.BATCH_REJECTED) {
                            attemptOf(p).tryNext();
                            continue;
                        }
                        RpcAnswer answer = failure == null ? done.result()[i] : null;
                        AsyncResult<RpcAnswer> outcome = answer != null ? Future.succeededFuture(answer)
                                : Future.failedFuture(failure != null ? failure : new UpstreamFailure(UpstreamFailure.Kind.BAD_REPLY,
                                upstream, "entry missing from the batch answer"));
                        attemptOf(p).triedOnce().settle(upstream, outcome);
                    }
                });
    }

    private Attempt attemptOf(BatchGroup.Pending pending) {
        return new Attempt(pending.call(), pending.spec(), pending.minHead(), pending.result());
    }

    /** Stands for a whole batch in the per-call stats: the node answered. */
    private static final RpcAnswer BATCH_ANSWERED = RpcAnswer.result(new byte[]{'1'});

    private void recheckNull(RpcCall call, long minHead, long tried, RpcAnswer nullAnswer, Promise<RpcAnswer> result) {
        List<Upstream> candidates = call.pool().candidates(minHead, tried);
        Upstream other = call.pool().policy().pick(candidates, call.clientKey());
        // A failed second opinion changes nothing: the first node's null stands.
        send(other, call, Math.min(tryTimeoutMs, Math.max(1, call.remainingMillis())), call.scope()).onComplete(done -> {
            RpcAnswer second = done.succeeded() ? done.result() : null;
            result.complete(second != null && !second.isError() && !second.isNullResult() ? second : nullAnswer);
        });
    }

    /** One try on one given upstream, no failover: a filter lives in that node's memory. */
    private Future<RpcAnswer> sendTo(Upstream upstream, RpcCall call) {
        long timeout = Math.min(tryTimeoutMs, Math.max(1, call.remainingMillis()));
        return send(upstream, call, timeout, call.scope()).recover(failure -> Future.succeededFuture(
                refuse(call, Unavailable.OWNER_FAILED, Miss.of(upstream, failure), true)));
    }

    /**
     * One call to one upstream through its circuit breaker, counted in flight and reported to the stats.
     *
     * @return the node's answer, or a failure that is always an {@link UpstreamFailure}
     */
    private Future<RpcAnswer> send(Upstream upstream, RpcCall call, long timeoutMs, CallScope scope) {
        if (call.access() != null) {
            call.access().upstream(upstream.name());
        }
        upstream.startCall();
        long started = System.nanoTime();
        return upstream.breaker().call(() -> client.call(upstream, call.method(), call.request().params(), timeoutMs, scope))
                .transform((AsyncResult<RpcAnswer> done) -> {
                    upstream.endCall();
                    long nanos = System.nanoTime() - started;
                    if (done.succeeded()) {
                        stats.upstreamAnswered(upstream, done.result(), nanos);
                        return Future.succeededFuture(done.result());
                    }
                    UpstreamFailure failure = asFailure(upstream, done.cause());
                    stats.upstreamFailed(upstream, failure, nanos);
                    return Future.<RpcAnswer>failedFuture(failure);
                });
    }

    /**
     * Sends a signed transaction to every healthy upstream at once. The first success answers; "already known"
     * counts as success (the node has it), answered with the transaction's hash. When none succeeds, the first
     * node error (say, nonce too low) is the answer, since every node would say the same.
     */
    private Future<RpcAnswer> broadcast(RpcCall call) {
        List<Upstream> targets = call.pool().candidates(-1, 0L);
        if (targets.isEmpty()) {
            return Future.succeededFuture(unavailable(call, null, false));
        }
        Promise<RpcAnswer> result = Promise.promise();
        AtomicInteger pending = new AtomicInteger(targets.size());
        // Answers of one broadcast complete on several event loops.
        AtomicReference<RpcAnswer> firstError = new AtomicReference<>();
        AtomicReference<Miss> lastFailure = new AtomicReference<>();
        // Propagation must not stop because the client that sent it hung up.
        RpcCall detached = call.detached();
        for (Upstream upstream : targets) {
            long timeout = Math.min(tryTimeoutMs, Math.max(1, call.remainingMillis()));
            send(upstream, call, timeout, detached.scope()).onComplete(done -> {
                if (done.succeeded()) {
                    RpcAnswer answer = done.result();
                    if (!answer.isError()) {
                        result.tryComplete(answer);
                    } else if (NodeErrors.isAlreadyKnown(answer.errorCode(), answer.errorText())) {
                        RpcAnswer known = transactionHash(call.request());
                        result.tryComplete(known != null ? known : answer);
                    } else {
                        firstError.compareAndSet(null, answer);
                    }
                } else {
                    lastFailure.set(Miss.of(upstream, done.cause()));
                }
                if (pending.decrementAndGet() == 0 && !result.future().isComplete()) {
                    RpcAnswer error = firstError.get();
                    result.tryComplete(error != null ? error : unavailable(call, lastFailure.get(), false));
                }
            });
        }
        return result.future();
    }

    /** The first string in the params (the raw transaction, the filter id), or null. */
    private static String firstStringParam(RpcRequest request) {
        String params = request.paramsText();
        int open = params.indexOf('"');
        int close = open < 0 ? -1 : params.indexOf('"', open + 1);
        return close < 0 ? null : params.substring(open + 1, close);
    }

    private static RpcAnswer transactionHash(RpcRequest request) {
        String rawHex = firstStringParam(request);
        if (rawHex == null) {
            return null;
        }
        try {
            byte[] raw = Keccak256.hexToBytes(rawHex);
            String hash = Keccak256.hexHash(raw);
            return RpcAnswer.result(("\"" + hash + "\"").getBytes(StandardCharsets.US_ASCII));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Upstream filterOwner(RpcCall call) {
        String filterId = firstStringParam(call.request());
        // Even an ejected owner is asked: no other node knows the filter.
        return filterId == null ? null : filterOwners.getIfPresent(call.network() + "/" + filterId.toLowerCase());
    }

    private static String filterKey(String network, byte[] result) {
        String id = new String(result, StandardCharsets.UTF_8).trim();
        if (id.startsWith("\"") && id.endsWith("\"") && id.length() >= 2) {
            id = id.substring(1, id.length() - 1);
        }
        return network + "/" + id.toLowerCase();
    }

    private static UpstreamFailure asFailure(Upstream upstream, Throwable cause) {
        return cause instanceof UpstreamFailure f ? f
                : new UpstreamFailure(UpstreamFailure.Kind.RESET, upstream, String.valueOf(cause.getMessage()));
    }

    /**
     * The answer when no upstream gave one: which situation it was, and the last try's reason class. (A block above
     * every head is no such situation: the pool then offers every healthy node, whose own answer the client gets.)
     */
    private RpcAnswer unavailable(RpcCall call, Miss lastFailure, boolean outOfTime) {
        if (outOfTime) {
            return refuse(call, Unavailable.DEADLINE, lastFailure, lastFailure != null);
        }
        if (lastFailure != null) {
            return refuse(call, Unavailable.EVERY_TRY_FAILED, lastFailure, true);
        }
        return refuse(call, Unavailable.NO_HEALTHY_UPSTREAM, null, false);
    }

    /**
     * One of the gateway's {@code -32002} answers, and its log line: the client gets the situation and a reason
     * class; the log line, under the same request id, gets the upstream and what exactly went wrong.
     */
    private RpcAnswer refuse(RpcCall call, Unavailable situation, Miss miss, boolean withReason) {
        Object arg = switch (situation) {
            case NO_HEALTHY_UPSTREAM -> call.network();
            default -> withReason && miss != null
                    ? (exposeUpstreamNames ? miss.upstream().name() + ": " + miss.reason() : miss.reason()) : null;
        };
        String message = situation.message(arg);
        LOG.warnf("request %s on %s, %s: %s%s", call.requestId(), call.network(), call.method(), message,
                miss == null ? "" : "; last failure: " + Redact.urls(miss.detail()));
        return RpcAnswer.error(RpcErrorCode.RESOURCE_UNAVAILABLE, message, call.requestId());
    }
}
