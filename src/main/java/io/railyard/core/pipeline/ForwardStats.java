package io.railyard.core.pipeline;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamFailure;

/** What the forwarder reports about upstream calls, so that metrics and health can learn from live traffic. */
public interface ForwardStats {

    void upstreamAnswered(Upstream upstream, RpcAnswer answer, long nanos);

    void upstreamFailed(Upstream upstream, UpstreamFailure failure, long nanos);

    void failover(String network);
}
