package io.railyard.core.stages;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.railyard.core.pipeline.BatchGroup;
import io.railyard.core.pipeline.RpcCall;
import io.railyard.core.pipeline.RpcInterceptor;
import io.railyard.evm.BlockRef;
import io.railyard.evm.HeadEvidence;
import io.railyard.evm.MethodCatalog;
import io.railyard.evm.MethodSpec;
import io.railyard.evm.NodeErrors;
import io.railyard.evm.Params;
import io.railyard.evm.Trait;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamFailure;
import io.railyard.upstream.UpstreamPool;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The last stage: picks an upstream and sends the call, failing over to another upstream within the call's
 * deadline and a bounded number of tries when a try fails in a way another node could fix. Writes that a node
 * may have received are never re-sent (signed transactions are broadcast before this stage, {@link Broadcast}).
 * Filters stay with the node that created them; a client batch's plain reads go to one node as one batch.
 */
public final class Forwarder implements RpcInterceptor {

    /** A node said it lacks the data (unknown block, missing trie node) and another was asked. */
    private static final String LACKS_DATA = "node lacks the data";

    private final UpstreamCalls calls;
    private final int maxAttempts;
    /** Which upstream created each filter id: filters live in one node's memory. */
    private final Cache<String, Upstream> filterOwners = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofMinutes(15))
            .maximumSize(100_000)
            .executor(Runnable::run)
            .build();

    public Forwarder(UpstreamCalls calls, int maxAttempts) {
        this.calls = calls;
        this.maxAttempts = maxAttempts;
    }

    @Override
    public Future<RpcAnswer> intercept(RpcCall call, Next next) {
        MethodSpec spec = MethodCatalog.spec(call.method());
        if (spec.has(Trait.FILTER_USE)) {
            Upstream owner = filterOwner(call);
            if (owner != null) {
                return sendTo(owner, call);
            }
        }
        long minHead = BlockRef.headNeeded(call.request(), call.pool().servedHead());
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
        private UpstreamCalls.Miss lastMiss;

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
                result.complete(calls.unavailable(call, lastMiss, remaining <= 0));
                return;
            }
            tries++;
            Upstream upstream = pool.policy().pick(candidates, call.clientKey());
            calls.send(upstream, call, tryBudget(remaining, tries, candidates.size()), call.scope())
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
                    failOver(upstream, new UpstreamCalls.Miss(upstream, LACKS_DATA, upstream + ": " + answer.errorText()));
                    return;
                }
                if (canRetry && answer.isNullResult() && spec.has(Trait.NULL_IF_NO_BLOCK) && minHead >= 0
                        && minHead <= pool.servedHead() && othersLeft(upstream)) {
                    // The block exists (the network has served a head at or above it): this node is behind.
                    failOver(upstream, new UpstreamCalls.Miss(upstream, LACKS_DATA, upstream + ": null for block " + minHead));
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
                failOver(upstream, UpstreamCalls.Miss.of(upstream, failure));
            } else {
                result.complete(calls.unavailable(call, UpstreamCalls.Miss.of(upstream, failure), false));
            }
        }

        private boolean othersLeft(Upstream upstream) {
            return !call.pool().candidates(minHead, UpstreamPool.exclude(tried, upstream)).isEmpty();
        }

        private void failOver(Upstream from, UpstreamCalls.Miss miss) {
            calls.stats().failover(call.network());
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
        return Math.min(calls.tryTimeoutMs(), Math.max(1, remainingMs / triesLeft));
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
        List<RpcCall> entries = items.stream().map(BatchGroup.Pending::call).toList();
        calls.sendBatch(upstream, entries, Math.min(calls.tryTimeoutMs(), remaining), first.scope())
                .onComplete(done -> {
                    UpstreamFailure failure = done.failed() ? (UpstreamFailure) done.cause() : null;
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

    private void recheckNull(RpcCall call, long minHead, long tried, RpcAnswer nullAnswer, Promise<RpcAnswer> result) {
        List<Upstream> candidates = call.pool().candidates(minHead, tried);
        Upstream other = call.pool().policy().pick(candidates, call.clientKey());
        // A failed second opinion changes nothing: the first node's null stands.
        calls.send(other, call, calls.singleTryMs(call), call.scope()).onComplete(done -> {
            RpcAnswer second = done.succeeded() ? done.result() : null;
            result.complete(second != null && !second.isError() && !second.isNullResult() ? second : nullAnswer);
        });
    }

    /** One try on one given upstream, no failover: a filter lives in that node's memory. */
    private Future<RpcAnswer> sendTo(Upstream upstream, RpcCall call) {
        return calls.send(upstream, call, calls.singleTryMs(call), call.scope()).recover(failure -> Future.succeededFuture(
                calls.refuse(call, Unavailable.OWNER_FAILED, UpstreamCalls.Miss.of(upstream, failure), true)));
    }

    private Upstream filterOwner(RpcCall call) {
        String filterId = Params.firstString(call.request());
        // Even an ejected owner is asked: no other node knows the filter.
        return filterId == null ? null : filterOwners.getIfPresent(ownerKey(call.network(), filterId));
    }

    /** The created filter's key, from the answer's result: the id as a JSON string. */
    private static String filterKey(String network, byte[] result) {
        String id = new String(result, StandardCharsets.UTF_8).trim();
        if (id.startsWith("\"") && id.endsWith("\"") && id.length() >= 2) {
            id = id.substring(1, id.length() - 1);
        }
        return ownerKey(network, id);
    }

    /** Filter ids are hex quantities: one filter whatever the case a client writes it in. */
    private static String ownerKey(String network, String filterId) {
        return network + "/" + filterId.toLowerCase(Locale.ROOT);
    }
}
