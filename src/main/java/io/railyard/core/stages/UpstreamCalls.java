package io.railyard.core.stages;

import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.core.pipeline.ForwardStats;
import io.railyard.core.pipeline.RpcCall;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcErrorCode;
import io.railyard.jsonrpc.RpcRequest;
import io.railyard.upstream.CallScope;
import io.railyard.upstream.Redact;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamClient;
import io.railyard.upstream.UpstreamFailure;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the stages that send to upstreams share: one call to one upstream (through its breaker, counted in flight,
 * reported to the stats), and the gateway's answer when no upstream gave one. The client is told why in a reason
 * class only ({@link Unavailable}, {@link UpstreamFailure#reason()}); the log line with the same request id has the
 * details.
 */
public final class UpstreamCalls {

    /** Under the forwarder's name, where operators have always found the reasons of -32002 answers. */
    private static final Logger LOG = Logger.getLogger(Forwarder.class);

    /** What a failed try tells: the reason class a client may read, and the details only the log gets. */
    record Miss(Upstream upstream, String reason, String detail) {
        static Miss of(Upstream upstream, Throwable failure) {
            return failure instanceof UpstreamFailure f ? new Miss(upstream, f.reason(), f.getMessage())
                    : new Miss(upstream, UpstreamFailure.Kind.RESET.reason(), upstream + ": " + failure);
        }
    }

    private final UpstreamClient client;
    private final ForwardStats stats;
    private final long tryTimeoutMs;
    private final boolean exposeUpstreamNames;
    private final Ticker ticker;

    public UpstreamCalls(UpstreamClient client, ForwardStats stats, long tryTimeoutMs, boolean exposeUpstreamNames, Ticker ticker) {
        this.ticker = ticker;
        this.client = client;
        this.stats = stats;
        this.tryTimeoutMs = tryTimeoutMs;
        this.exposeUpstreamNames = exposeUpstreamNames;
    }

    ForwardStats stats() {
        return stats;
    }

    long tryTimeoutMs() {
        return tryTimeoutMs;
    }

    /** A single try's time: the try timeout, or what is left of the call's deadline if that is less. */
    long singleTryMs(RpcCall call) {
        return Math.min(tryTimeoutMs, Math.max(1, call.remainingMillis()));
    }

    /**
     * One call to one upstream through its circuit breaker, counted in flight and reported to the stats.
     *
     * @return the node's answer, or a failure that is always an {@link UpstreamFailure}
     */
    Future<RpcAnswer> send(Upstream upstream, RpcCall call, long timeoutMs, CallScope scope) {
        if (call.access() != null) {
            call.access().upstream(upstream.name());
        }
        return measured(upstream, () -> client.call(upstream, call.method(), call.request().params(), timeoutMs, scope),
                answer -> answer);
    }

    /**
     * A client batch's entries sent to one upstream as one JSON-RPC batch, the same way as {@link #send}.
     *
     * @return the answers in the order of {@code calls} (an entry the node left out is null), or a failure that is
     *         always an {@link UpstreamFailure}
     */
    Future<RpcAnswer[]> sendBatch(Upstream upstream, List<RpcCall> calls, long timeoutMs, CallScope scope) {
        List<RpcRequest> requests = new ArrayList<>(calls.size());
        for (RpcCall call : calls) {
            requests.add(call.request());
            if (call.access() != null) {
                call.access().upstream(upstream.name());
            }
        }
        return measured(upstream, () -> client.callBatch(upstream, requests, timeoutMs, scope), answers -> BATCH_ANSWERED);
    }

    /** Stands for a whole batch in the per-call stats: the node answered. */
    private static final RpcAnswer BATCH_ANSWERED = RpcAnswer.result(new byte[]{'1'});

    /** Runs one call through the upstream's breaker, counted in flight, and reports its outcome to the stats. */
    private <T> Future<T> measured(Upstream upstream, Supplier<Future<T>> call, Function<T, RpcAnswer> asReported) {
        upstream.startCall();
        long started = ticker.read();
        return upstream.breaker().call(call).transform((AsyncResult<T> done) -> {
            upstream.endCall();
            long nanos = ticker.read() - started;
            if (done.succeeded()) {
                stats.upstreamAnswered(upstream, asReported.apply(done.result()), nanos);
                return Future.succeededFuture(done.result());
            }
            UpstreamFailure failure = asFailure(upstream, done.cause());
            stats.upstreamFailed(upstream, failure, nanos);
            return Future.<T>failedFuture(failure);
        });
    }

    static UpstreamFailure asFailure(Upstream upstream, Throwable cause) {
        return cause instanceof UpstreamFailure f ? f
                : new UpstreamFailure(UpstreamFailure.Kind.RESET, upstream, String.valueOf(cause.getMessage()));
    }

    /**
     * The answer when no upstream gave one: which situation it was, and the last try's reason class. (A block above
     * every head is no such situation: the pool then offers every healthy node, whose own answer the client gets.)
     */
    RpcAnswer unavailable(RpcCall call, Miss lastFailure, boolean outOfTime) {
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
    RpcAnswer refuse(RpcCall call, Unavailable situation, Miss miss, boolean withReason) {
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
