package io.railyard.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node that replays the conformance corpus: a Vert.x HTTP server on a free loopback port that answers every
 * request whose method and params (compared canonically) match a recorded one with the recorded response text, byte
 * for byte, except its {@code id}, which becomes the incoming request's id. Everything else gets {@code -32601 "not
 * in the corpus"}.
 *
 * <p>Health probes are answered from the corpus when recorded ({@code eth_chainId}, {@code eth_blockNumber},
 * {@code eth_syncing}); {@code eth_getBlockByNumber(["finalized",false])} and {@code (["safe",false])}, unless recorded
 * with exactly those params, get the block at the recorded head: the recorded chain is frozen, so everything up to its
 * head is final.
 *
 * <p>Counts calls per {@link ConformanceCorpus#key key} (method and canonical params) and, apart, every call that
 * is not probe-shaped; keeps a log of arrival times so that a test can tell probe rounds from forwarded traffic even
 * for the probe methods themselves.
 */
public final class ReplayUpstream implements AutoCloseable {

    /** The keys of the health probes; the last two (the finalized and safe blocks) are sent only by probes. */
    public static final String CHAIN_ID_KEY = ConformanceCorpus.key("eth_chainId", null);
    public static final String BLOCK_NUMBER_KEY = ConformanceCorpus.key("eth_blockNumber", null);
    public static final String SYNCING_KEY = ConformanceCorpus.key("eth_syncing", null);
    public static final String FINALIZED_PROBE_KEY = ConformanceCorpus.key("eth_getBlockByNumber", new JsonArray().add("finalized").add(false));
    public static final String SAFE_PROBE_KEY = ConformanceCorpus.key("eth_getBlockByNumber", new JsonArray().add("safe").add(false));
    public static final Set<String> PROBE_KEYS = Set.of(CHAIN_ID_KEY, BLOCK_NUMBER_KEY, SYNCING_KEY, FINALIZED_PROBE_KEY, SAFE_PROBE_KEY);

    /** One call as it arrived. */
    public record Call(long nanoTime, String key) {
    }

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final HttpServer server;
    private final Map<String, String> answers;
    private final String head;
    private final String finalizedNumber;
    private final String safeNumber;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final AtomicInteger traffic = new AtomicInteger();
    private final Queue<Call> log = new ConcurrentLinkedQueue<>();
    private final Queue<String> unmatched = new ConcurrentLinkedQueue<>();
    private volatile int port;

    private ReplayUpstream(Vertx vertx, boolean ownsVertx, List<ConformanceCorpus.Case> corpus) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        Map<String, String> byKey = new HashMap<>();
        for (ConformanceCorpus.Case c : corpus) {
            String before = byKey.putIfAbsent(c.key(), c.response());
            if (before != null && !withoutId(before).equals(withoutId(c.response()))) {
                throw new IllegalStateException("the corpus answers " + c.key() + " in two ways; second one in " + c.file());
            }
        }
        String recordedHead = byKey.containsKey(BLOCK_NUMBER_KEY)
                ? new JsonObject(byKey.get(BLOCK_NUMBER_KEY)).getString("result") : null;
        this.head = recordedHead != null ? recordedHead : "0x36";
        for (String probe : List.of(FINALIZED_PROBE_KEY, SAFE_PROBE_KEY)) {
            if (!byKey.containsKey(probe)) {
                byKey.put(probe, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":" + finalizedBlock(byKey, head) + "}");
            }
        }
        this.answers = Map.copyOf(byKey);
        Object finalizedResult = new JsonObject(answers.get(FINALIZED_PROBE_KEY)).getValue("result");
        this.finalizedNumber = finalizedResult instanceof JsonObject b && b.getValue("number") instanceof String n ? n : head;
        Object safeResult = new JsonObject(answers.get(SAFE_PROBE_KEY)).getValue("result");
        this.safeNumber = safeResult instanceof JsonObject b && b.getValue("number") instanceof String n ? n : finalizedNumber;
        this.server = vertx.createHttpServer().requestHandler(this::serve);
    }

    private static String withoutId(String response) {
        return ConformanceCorpus.withId(response, "0");
    }

    /**
     * The head block without full transactions, derived from the recorded {@code ["finalized",true]} (or
     * {@code ["latest",true]}) block when that block is the head; a bare block with the head's number otherwise.
     */
    private static String finalizedBlock(Map<String, String> byKey, String head) {
        for (String tag : List.of("finalized", "latest")) {
            String recorded = byKey.get(ConformanceCorpus.key("eth_getBlockByNumber", new JsonArray().add(tag).add(true)));
            if (recorded == null || !(new JsonObject(recorded).getValue("result") instanceof JsonObject block)
                    || !head.equals(block.getString("number"))) {
                continue;
            }
            JsonObject copy = block.copy();
            JsonArray hashes = new JsonArray();
            for (Object tx : copy.getJsonArray("transactions", new JsonArray())) {
                hashes.add(tx instanceof JsonObject o ? o.getString("hash") : tx);
            }
            copy.put("transactions", hashes);
            return copy.encode();
        }
        return new JsonObject().put("number", head).put("transactions", new JsonArray()).encode();
    }

    /** Starts a replay on its own Vert.x instance. */
    public static ReplayUpstream start(List<ConformanceCorpus.Case> corpus) {
        return listen(new ReplayUpstream(Vertx.vertx(), true, corpus));
    }

    /** Starts a replay on the given Vert.x instance (closing the replay then only stops its server). */
    public static ReplayUpstream start(Vertx vertx, List<ConformanceCorpus.Case> corpus) {
        return listen(new ReplayUpstream(vertx, false, corpus));
    }

    private static ReplayUpstream listen(ReplayUpstream replay) {
        try {
            replay.server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            replay.port = replay.server.actualPort();
        } catch (Exception e) {
            throw new IllegalStateException("replay upstream did not start", e);
        }
        return replay;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The recorded head block number, as a hex quantity. */
    public String head() {
        return head;
    }

    // ---------------------------------------------------------------- counting

    /** Calls with this key (method and canonical params), probes included. */
    public int calls(String key) {
        AtomicInteger n = calls.get(key);
        return n == null ? 0 : n.get();
    }

    /** Every call that is not probe-shaped (see {@link #PROBE_KEYS}). */
    public int trafficCalls() {
        return traffic.get();
    }

    /** Every call so far, in arrival order (approximately, across connections). */
    public List<Call> log() {
        return new ArrayList<>(log);
    }

    /** Requests that matched nothing in the corpus (as received). */
    public List<String> unmatched() {
        return new ArrayList<>(unmatched);
    }

    public void resetCounts() {
        calls.clear();
        traffic.set(0);
        log.clear();
        unmatched.clear();
    }

    // ---------------------------------------------------------------- serving

    private void serve(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            String text = body.toString(StandardCharsets.UTF_8);
            Object parsed;
            try {
                parsed = Json.decodeValue(text);
            } catch (RuntimeException e) {
                respond(request, error("null", -32700, "parse error"));
                return;
            }
            if (parsed instanceof JsonArray batch) {
                StringBuilder out = new StringBuilder("[");
                for (int i = 0; i < batch.size(); i++) {
                    Object item = batch.getValue(i);
                    out.append(i == 0 ? "" : ",").append(item instanceof JsonObject o
                            ? answer(o, o.encode()) : error("null", -32600, "invalid request"));
                }
                respond(request, out.append(']').toString());
            } else if (parsed instanceof JsonObject call) {
                respond(request, answer(call, text));
            } else {
                respond(request, error("null", -32600, "invalid request"));
            }
        });
    }

    private String answer(JsonObject call, String text) {
        String idJson = ConformanceCorpus.memberText(text, "id");
        if (idJson == null) {
            idJson = "null";
        }
        String method = call.getValue("method") instanceof String m ? m : "";
        List<String> keys = recordedKeys(method, call.getValue("params"));
        String key = keys.get(0);
        log.add(new Call(System.nanoTime(), key));
        // A pinned read stands for every recorded form it answers (a tag, a missing block parameter): counted under each.
        keys.forEach(k -> calls.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet());
        if (!PROBE_KEYS.contains(key)) {
            traffic.incrementAndGet();
        }
        String recorded = answers.get(key);
        if (recorded == null) {
            unmatched.add(text);
            return error(idJson, -32601, "not in the corpus");
        }
        return ConformanceCorpus.withId(recorded, idJson);
    }

    /**
     * The corpus keys a request is answered under, the one it is answered from first. A node at the recorded head
     * answers a read at the head's number (or at the safe or finalized block's number) exactly as it answers
     * {@code latest} (or {@code safe}, {@code finalized}), and a missing trailing block parameter as {@code latest}: the gateway pins tagged reads
     * to numbers, the corpus recorded tags.
     */
    private List<String> recordedKeys(String method, Object params) {
        String key = ConformanceCorpus.key(method, params);
        List<String> keys = new ArrayList<>();
        if (answers.containsKey(key)) {
            keys.add(key);
        }
        if (params instanceof JsonArray array) {
            for (int i = 0; i < array.size(); i++) {
                Object element = array.getValue(i);
                for (String tag : List.of("latest", "safe", "finalized")) {
                    String number = switch (tag) {
                        case "latest" -> head;
                        case "safe" -> safeNumber;
                        default -> finalizedNumber;
                    };
                    if (!number.equals(element)) {
                        continue;
                    }
                    JsonArray tagged = array.copy();
                    tagged.set(i, tag);
                    List<JsonArray> forms = new ArrayList<>(List.of(tagged));
                    if (tag.equals("latest") && i == array.size() - 1) {
                        JsonArray shorter = array.copy();
                        shorter.remove(i);
                        forms.add(shorter);
                    }
                    for (JsonArray form : forms) {
                        String candidate = ConformanceCorpus.key(method, form);
                        if (answers.containsKey(candidate) && !keys.contains(candidate)) {
                            keys.add(candidate);
                        }
                    }
                }
            }
        }
        return keys.isEmpty() ? List.of(key) : keys;
    }

    private static String error(String idJson, int code, String message) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"error\":{\"code\":" + code + ",\"message\":" + Json.encode(message) + "}}";
    }

    private static void respond(HttpServerRequest request, String body) {
        request.response().setStatusCode(200).putHeader("content-type", "application/json")
                .end(Buffer.buffer(body.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        if (ownsVertx) {
            vertx.close();
        }
    }
}
