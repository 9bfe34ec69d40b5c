package io.railyard.evm;

import io.railyard.jsonrpc.RpcRequest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Pins a read tagged {@code latest} (or {@code safe}, {@code finalized}) to a block number, so that the answer is the one for the
 * block the gateway means by that tag rather than whichever block the answering node happens to be at. Only methods
 * whose answer is a function of their params and one block ({@link CacheRule#BY_BLOCK_PARAM}) are pinned: fee
 * estimates and simulations keep their own notion of "latest". {@code pending} is never pinned.
 */
public final class HeadPin {

    private HeadPin() {
    }

    /** Which block a request's tag stands for, if it is pinnable. */
    public enum Target { LATEST, SAFE, FINALIZED }

    /**
     * The tag a pinnable request uses, if any: an explicit {@code "latest"}/{@code "safe"}/{@code "finalized"} string, or an absent
     * trailing block parameter (which nodes read as {@code latest}).
     */
    public static Optional<Target> target(RpcRequest request) {
        MethodSpec spec = MethodCatalog.spec(request.method());
        if (spec.cacheRule() != CacheRule.BY_BLOCK_PARAM || spec.blockParam() < 0) {
            return Optional.empty();
        }
        Object value = Json.element(request.params(), spec.blockParam());
        if (value == Json.MISSING || "latest".equals(value)) {
            return Optional.of(Target.LATEST);
        }
        if ("safe".equals(value)) {
            return Optional.of(Target.SAFE);
        }
        if ("finalized".equals(value)) {
            return Optional.of(Target.FINALIZED);
        }
        return Optional.empty();
    }

    /**
     * The request with its block parameter replaced by (or, when absent at the end, completed with) {@code number};
     * every other byte of the params stays as the client sent it. Empty when the params cannot be rewritten safely
     * (not an array, or the block parameter is missing from the middle).
     */
    public static Optional<RpcRequest> pinned(RpcRequest request, long number) {
        int index = MethodCatalog.spec(request.method()).blockParam();
        byte[] params = request.params() == null ? new byte[]{'[', ']'} : request.params();
        int[] span = Json.elementSpan(params, index);
        if (span == null) {
            return Optional.empty();
        }
        byte[] quantity = ("\"0x" + Long.toHexString(number) + "\"").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(params.length + quantity.length + 1);
        if (span[0] < span[1]) {
            out.write(params, 0, span[0]);
            out.write(quantity, 0, quantity.length);
            out.write(params, span[1], params.length - span[1]);
        } else {
            // Absent: insert before the closing bracket at span[0], after a comma unless the array is empty.
            out.write(params, 0, span[0]);
            if (index > 0) {
                out.write(',');
            }
            out.write(quantity, 0, quantity.length);
            out.write(params, span[0], params.length - span[0]);
        }
        return Optional.of(new RpcRequest(request.id(), request.method(), out.toByteArray()));
    }
}
