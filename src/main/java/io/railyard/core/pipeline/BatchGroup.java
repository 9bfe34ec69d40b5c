package io.railyard.core.pipeline;

import io.railyard.evm.MethodSpec;
import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.List;

/**
 * The entries of one client batch that reach the forwarder as plain reads: they go to one upstream as one
 * JSON-RPC batch (one HTTP request instead of one per entry). Filled and flushed on the client's event loop,
 * within one pass over the batch.
 */
public final class BatchGroup {

    public record Pending(RpcCall call, MethodSpec spec, long minHead, Promise<RpcAnswer> result) {
    }

    private List<Pending> pending = new ArrayList<>();

    public void add(Pending p) {
        pending.add(p);
    }

    /** The entries gathered so far; the group is empty afterwards. */
    public List<Pending> drain() {
        List<Pending> out = pending;
        pending = new ArrayList<>();
        return out;
    }
}
