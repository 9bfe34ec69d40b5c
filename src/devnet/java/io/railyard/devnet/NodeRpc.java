package io.railyard.devnet;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The devnet's own JSON-RPC client for its anvil nodes, and the few calls it builds on it (blocks, pending and pooled
 * transactions, raw transactions). Calls block: they run on the devnet's scheduler thread or the caller's, under the
 * devnet's lock, never on the gateway's request path.
 */
final class NodeRpc {

    // The devnet logs under one category, whichever of its classes speaks.
    private static final Logger LOG = Logger.getLogger(Devnet.class);
    private static final Duration RPC_TIMEOUT = Duration.ofSeconds(10);

    /** The part of a block the devnet compares and replays. */
    record Block(long number, String hash, long timestamp, String baseFee, List<String> txs) {
    }

    /** A JSON-RPC error answer (as opposed to a transport failure). */
    static final class RpcError extends IllegalStateException {
        RpcError(String message) {
            super(message);
        }
    }

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private final AtomicLong ids = new AtomicLong();

    /** Hashes of node n's pending block, in the order it would mine them. */
    List<String> pendingHashes(Node n) {
        Object result = call(n, "eth_getBlockByNumber", "pending", false);
        if (!(result instanceof JsonObject block)) {
            throw new IllegalStateException("node " + n.index + " returned no pending block");
        }
        return strings(block.getJsonArray("transactions"));
    }

    /** Raw transactions of node n's pool (pending then queued, by sender and nonce). */
    List<String> poolRaws(Node n) {
        Object result = call(n, "txpool_content");
        List<String> raws = new ArrayList<>();
        if (!(result instanceof JsonObject content)) {
            return raws;
        }
        for (String section : List.of("pending", "queued")) {
            JsonObject bySender = content.getJsonObject(section);
            if (bySender == null) {
                continue;
            }
            for (String sender : bySender.fieldNames().stream().sorted().toList()) {
                JsonObject byNonce = bySender.getJsonObject(sender);
                List<String> nonces = byNonce.fieldNames().stream()
                        .sorted(Comparator.comparingLong(Long::parseLong)).toList();
                for (String nonce : nonces) {
                    String hash = byNonce.getJsonObject(nonce).getString("hash");
                    String raw = hash == null ? null : rawTx(n, hash);
                    if (raw != null) {
                        raws.add(raw);
                    }
                }
            }
        }
        return raws;
    }

    /** The raw transaction, or null if node n does not know it. */
    String rawTx(Node n, String hash) {
        Object raw = call(n, "eth_getRawTransactionByHash", hash);
        return raw instanceof String s && s.length() > 2 ? s : null;
    }

    void sendQuietly(Node n, String raw) {
        try {
            call(n, "eth_sendRawTransaction", raw);
        } catch (RpcError e) {
            // Already known, or mined meanwhile (nonce too low): nothing to do.
            LOG.debugf("Devnet: node %d refused a resent transaction: %s", n.index, e.getMessage());
        }
    }

    Block latest(Node n) {
        return toBlock(n, call(n, "eth_getBlockByNumber", "latest", false), "latest");
    }

    Block block(Node n, long number) {
        return toBlock(n, call(n, "eth_getBlockByNumber", "0x" + Long.toHexString(number), false), Long.toString(number));
    }

    private static Block toBlock(Node n, Object result, String tag) {
        if (!(result instanceof JsonObject b)) {
            throw new IllegalStateException("devnet node " + n.index + " has no block " + tag);
        }
        return new Block(hexLong(b.getString("number")), b.getString("hash"), hexLong(b.getString("timestamp")),
                b.getString("baseFeePerGas"), strings(b.getJsonArray("transactions")));
    }

    /** Transaction hashes of a block's list, whether it holds hashes or full transactions. */
    private static List<String> strings(JsonArray array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            for (Object o : array) {
                out.add(o instanceof JsonObject tx ? tx.getString("hash") : (String) o);
            }
        }
        return out;
    }

    static long hexLong(Object value) {
        if (!(value instanceof String s) || !s.startsWith("0x")) {
            throw new IllegalStateException("not a hex quantity: " + value);
        }
        return Long.parseUnsignedLong(s.substring(2), 16);
    }

    Object call(Node n, String method, Object... params) {
        return call(n, method, RPC_TIMEOUT, params);
    }

    /**
     * The call's result; throws {@link RpcError} for an error answer, and a plain {@link IllegalStateException} for a
     * transport failure or a non-200 answer.
     */
    Object call(Node n, String method, Duration timeout, Object... params) {
        JsonObject request = new JsonObject()
                .put("jsonrpc", "2.0")
                .put("id", ids.incrementAndGet())
                .put("method", method)
                .put("params", new JsonArray(new ArrayList<>(Arrays.asList(params))));
        HttpRequest http = HttpRequest.newBuilder(n.url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.encode()))
                .build();
        HttpResponse<String> response;
        try {
            response = this.http.send(http, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " on devnet node " + n.index + " (" + n.url + ") failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + " on devnet node " + n.index + " interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException(method + " on devnet node " + n.index + ": HTTP " + response.statusCode()
                    + " " + response.body());
        }
        JsonObject body = new JsonObject(response.body());
        JsonObject error = body.getJsonObject("error");
        if (error != null) {
            throw new RpcError(method + " on devnet node " + n.index + ": " + error.encode());
        }
        return body.getValue("result");
    }
}
