package io.railyard.core.pipeline;

import io.railyard.jsonrpc.RpcAnswer;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A stage overrides only what it does: the defaults pass the call on, and the end of a batch reaches every stage. */
class PipelineTest {

    private static final RpcAnswer ANSWER = RpcAnswer.result("\"0x1\"".getBytes(StandardCharsets.US_ASCII));

    @Test
    void aStageThatOverridesNothingPassesTheCallOn() {
        RpcInterceptor passThrough = new RpcInterceptor() {
        };
        RpcInterceptor last = new RpcInterceptor() {
            @Override
            public Future<RpcAnswer> intercept(RpcCall call, Next next) {
                return Future.succeededFuture(ANSWER);
            }
        };
        assertSame(ANSWER, new Pipeline(List.of(passThrough, passThrough, last)).run(null).result());
    }

    @Test
    void theEndOfABatchReachesEveryStageInOrder() {
        List<String> told = new ArrayList<>();
        BatchGroup group = new BatchGroup();
        RpcInterceptor first = new RpcInterceptor() {
            @Override
            public void batchEnded(BatchGroup g) {
                told.add("first:" + (g == group));
            }
        };
        RpcInterceptor second = new RpcInterceptor() {
            @Override
            public void batchEnded(BatchGroup g) {
                told.add("second:" + (g == group));
            }
        };
        new Pipeline(List.of(first, second)).batchEnded(group);
        assertEquals(List.of("first:true", "second:true"), told);
    }
}
