package io.railyard.core.pipeline;

import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Future;

import java.util.List;

/** Runs a call through the interceptors in order; the last stage always answers. */
public final class Pipeline {

    private final RpcInterceptor[] stages;
    private final RpcInterceptor.Next[] nexts;

    public Pipeline(List<RpcInterceptor> stages) {
        this.stages = stages.toArray(RpcInterceptor[]::new);
        this.nexts = new RpcInterceptor.Next[this.stages.length + 1];
        for (int i = 0; i < this.stages.length; i++) {
            int index = i;
            nexts[i] = call -> this.stages[index].intercept(call, nexts[index + 1]);
        }
        nexts[this.stages.length] = call -> Future.failedFuture(new IllegalStateException("no stage answered " + call.method()));
    }

    public Future<RpcAnswer> run(RpcCall call) {
        return nexts[0].proceed(call);
    }

    /** Tells every stage that the batch's entries have all been run. */
    public void batchEnded(BatchGroup group) {
        for (RpcInterceptor stage : stages) {
            stage.batchEnded(group);
        }
    }
}
