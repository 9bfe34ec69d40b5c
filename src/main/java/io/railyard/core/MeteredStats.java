package io.railyard.core;

import io.railyard.core.pipeline.CacheStats;
import io.railyard.core.pipeline.ForwardStats;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.metrics.Meters;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamFailure;

import java.time.Clock;
import java.util.Locale;

/** Feeds what the pipeline stages report into the meters and into each upstream's recent stats. */
public final class MeteredStats implements CacheStats, ForwardStats {

    private final Meters meters;
    private final Clock clock;

    MeteredStats(Meters meters, Clock clock) {
        this.meters = meters;
        this.clock = clock;
    }

    @Override
    public void hit(String network) {
        meters.cache(network, "hit");
    }

    @Override
    public void miss(String network) {
        meters.cache(network, "miss");
    }

    @Override
    public void coalesced(String network) {
        meters.cache(network, "coalesced");
    }

    @Override
    public void upstreamAnswered(Upstream upstream, RpcAnswer answer, long nanos) {
        meters.upstreamCall(upstream.network(), upstream.name(), answer.isError() ? "rpc_error" : "ok", nanos);
        upstream.stats().record(nanos, false);
    }

    @Override
    public void upstreamFailed(Upstream upstream, UpstreamFailure failure, long nanos) {
        UpstreamFailure.Kind kind = failure.kind();
        meters.upstreamCall(upstream.network(), upstream.name(), kind.name().toLowerCase(Locale.ROOT), nanos);
        if (kind.countsAgainstUpstream()) {
            upstream.stats().record(nanos, true);
            upstream.stats().error(failure.getMessage(), clock.millis());
        }
    }

    @Override
    public void failover(String network) {
        meters.failover(network);
    }
}
