package io.railyard.jsonrpc;

import java.util.List;

/**
 * A decoded HTTP body: a single entry or a batch of them, or a failure of the whole body
 * (not JSON, empty batch, over a limit) that is answered with one error.
 */
public sealed interface RpcBody permits RpcBody.Single, RpcBody.Batch, RpcBody.Failed {

    record Single(RpcItem item) implements RpcBody {
    }

    record Batch(List<RpcItem> items) implements RpcBody {
    }

    record Failed(RpcErrorCode code, String message) implements RpcBody {
    }
}
