package io.railyard.conformance;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.cache.CacheKey;
import io.railyard.core.RpcGateway;
import io.railyard.testing.Await;
import io.railyard.testing.ConformanceCorpus.Case;
import io.railyard.testing.ConformanceCorpus;
import io.railyard.testing.ReplayNodes;
import io.railyard.testing.ReplayNodesResource;
import io.railyard.testing.ReplayUpstream;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Proves that Railyard relays real node answers faithfully. Three {@link ReplayUpstream}s replay the
 * ethereum/execution-apis corpus (recorded from geth, see {@code src/test/resources/conformance/README.md}) behind the
 * network {@code conformance}; every recorded request is sent through the gateway with a client id of its own and
 * must come back as the recorded response text, byte for byte, with only the id replaced: upstream results and
 * errors pass through without re-encoding (DESIGN.md, "JSON-RPC semantics"). Recorded errors (reverts, bad ranges,
 * bad params) are answers too: HTTP 200, unchanged.
 *
 * <ol>
 *   <li>cold pass (empty cache): every case reaches an upstream (but a repeat of an earlier immutable request), a signed
 *   transaction all three, and the cache holds exactly the answers DESIGN.md calls immutable ({@link #expectCached});</li>
 *   <li>warm pass: the same answers again, the immutable ones with no upstream call, the others forwarded again;</li>
 *   <li>the whole corpus as one batch, cold then warm: every answer in request order with its own id.</li>
 * </ol>
 *
 * No case needs a JSON-equality fallback: every recorded response has the layout the gateway writes
 * ({@code {"jsonrpc":"2.0","id":…,"result"|"error":…}}), so byte equality is the contract for all of them.
 */
@QuarkusTest
@QuarkusTestResource(value = ReplayNodesResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConformanceTest {

    private static final String PATH = "/" + ReplayNodesResource.NETWORK;
    /** The recorded chain's head; the chain is frozen, so the replays report it as finalized too. */
    private static final long HEAD = 0x36;
    private static final List<Case> CASES = ConformanceCorpus.load();
    /**
     * How close (ns) a probe round may come to a measured request before the measurement is retaken. The four calls
     * of one round reach a replay within a millisecond of each other; this leaves room for a busy machine.
     */
    private static final long PROBE_GUARD = TimeUnit.MILLISECONDS.toNanos(20);

    private static volatile boolean coldPassDone;
    /** Upstream calls each case caused in the cold pass (probe-shaped keys left out, as traffic counters do). */
    private static final Map<String, Integer> COLD_CALLS = new ConcurrentHashMap<>();

    ReplayNodes replays;

    @Inject
    RpcGateway gateway;

    @Inject
    UpstreamPools pools;

    @BeforeEach
    void networkReady() {
        assertNotNull(replays, "the replays are injected");
        assertNotNull(gateway.cache(), "the cache is on by default");
        Await.until("the three replays are admitted and block 0x36 is final", () ->
                pool().upstreams().size() == ReplayNodesResource.REPLAYS
                        && pool().upstreams().stream().allMatch(Upstream::isHealthy)
                        && pool().finalized() == HEAD);
    }

    private UpstreamPool pool() {
        return pools.pool(ReplayNodesResource.NETWORK);
    }

    // ------------------------------------------------------------------ the corpus itself

    @Test
    @Order(0)
    void corpusIsReadFromTheClasspathWithEveryPair() {
        assertEquals(111, CASES.size(), "pairs in the corpus (update when the corpus is refreshed)");
        assertEquals(110, CASES.stream().map(Case::file).distinct().count(), ".io files in the corpus");
        assertEquals(29, CASES.stream().map(c -> c.file().substring(0, c.file().indexOf('/'))).distinct().count(), "method folders");
        Set<String> names = new HashSet<>();
        for (Case c : CASES) {
            assertTrue(names.add(c.name()), "unique case name " + c.name());
            assertEquals(c.request(), c.requestWithId(c.recordedId()), c.name() + ": rewriting the id to itself changes nothing");
            assertEquals(c.response(), c.responseWithId(c.recordedId()), c.name());
            String other = "\"x\\\"y\"";
            JsonObject rewritten = new JsonObject(c.responseWithId(other));
            assertEquals("x\"y", rewritten.getString("id"), c.name());
            assertEquals(new JsonObject(c.response()).put("id", "x\"y"), rewritten, c.name() + ": only the id changed");
            assertEquals(c.recordedId(), ConformanceCorpus.memberText(c.response(), "id"), c.name() + ": recorded ids match");
            for (int pass = 0; pass < 3; pass++) {
                assertNotEquals(c.recordedId(), clientId(CASES.indexOf(c), pass), "client ids differ from the recorded ones");
            }
        }
        assertTrue(CASES.stream().anyMatch(Case::isError), "the corpus holds recorded errors");
        assertTrue(CASES.stream().anyMatch(c -> c.paramsText() == null), "the corpus holds requests without params");
    }

    // ------------------------------------------------------------------ cold pass

    /** Every case once, on an empty cache. */
    @TestFactory
    @Order(1)
    Stream<DynamicTest> coldPass() {
        gateway.cache().invalidateAll();
        COLD_CALLS.clear();
        int trafficBefore = replays.trafficCalls();
        Set<String> seen = new HashSet<>();
        Stream<DynamicTest> cases = IntStream.range(0, CASES.size())
                .mapToObj(i -> dynamicTest(CASES.get(i).name(), () -> cold(CASES.get(i), i, seen)));
        Stream<DynamicTest> summary = Stream.of(dynamicTest("cache holds exactly the immutable answers", () -> {
            coldPassDone = true;
            Set<String> immutable = CASES.stream().filter(ConformanceTest::expectCached).map(Case::key)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
            gateway.cache().cleanUp();
            assertEquals(immutable.size(), gateway.cache().size(), "cached answers after the cold pass: " + immutable);
            assertEquals(List.of(), replays.unmatched(), "every forwarded request was found in the corpus");
            assertEquals(COLD_CALLS.values().stream().mapToInt(Integer::intValue).sum(), replays.trafficCalls() - trafficBefore,
                    "upstream calls of the cold pass (probes left out) are those of its cases, nothing else: " + COLD_CALLS);
        }));
        return Stream.concat(cases, summary);
    }

    private void cold(Case c, int index, Set<String> seen) {
        String id = clientId(index, 0);
        boolean immutable = expectCached(c);
        boolean duplicate = !seen.add(c.key());
        int[] perReplay = perReplayCalls(c.key());
        OptionalInt forwarded = upstreamCalls(c, () -> exchange(c, id), immutable && !duplicate ? 1 : 20);

        if (isBroadcast(c)) {
            awaitBroadcast(c, perReplay);
            COLD_CALLS.put(c.name(), replays.size());
        } else if (forwarded.isPresent()) {
            if (!ReplayUpstream.PROBE_KEYS.contains(c.key())) {
                COLD_CALLS.put(c.name(), forwarded.getAsInt());
            }
            if (immutable && duplicate) {
                assertEquals(0, forwarded.getAsInt(), c.name() + " repeats an earlier case: its answer is cached already");
            } else {
                assertTrue(forwarded.getAsInt() >= 1, c.name() + ": a cold request is forwarded to an upstream, not answered"
                        + " from the cache");
            }
        }
        // Otherwise a probe round overlapped the only cold try of a probe-shaped request (eth_chainId): its upstream
        // call cannot be told apart from the probe's; that it was answered by an upstream shows in the cache below.
        assertEquals(immutable, isCached(c), c.name() + (immutable
                ? ": an immutable answer (DESIGN.md, cache rules) is in the cache after a cold request"
                : ": this answer must never be cached (tag, null/not-final, error, write or moving target)"));
        assertEquals(List.of(), replays.unmatched(), c.name() + ": the gateway forwarded something not in the corpus");
    }

    // ------------------------------------------------------------------ warm pass

    /** Every case again: immutable answers come from the cache, the rest from an upstream, all identical. */
    @TestFactory
    @Order(2)
    Stream<DynamicTest> warmPass() {
        boolean afterColdPass = coldPassDone && COLD_CALLS.size() == CASES.stream().filter(c -> !ReplayUpstream.PROBE_KEYS.contains(c.key())).count();
        if (!coldPassDone) {
            // Run on its own (say, -Dtest=ConformanceTest#warmPass): fill the cache first.
            gateway.cache().invalidateAll();
            for (int i = 0; i < CASES.size(); i++) {
                exchange(CASES.get(i), clientId(i, 0));
            }
        }
        int trafficBefore = replays.trafficCalls();
        Stream<DynamicTest> cases = IntStream.range(0, CASES.size()).mapToObj(i -> dynamicTest(CASES.get(i).name(), () -> warm(CASES.get(i), i)));
        if (!afterColdPass) {
            return cases;
        }
        // The cache saved exactly the calls of the immutable cases; everything else was forwarded as often as before.
        int expected = CASES.stream().filter(c -> !expectCached(c)).mapToInt(c -> COLD_CALLS.getOrDefault(c.name(), 0)).sum();
        return Stream.concat(cases, Stream.of(dynamicTest("upstream calls saved by the cache", () -> assertEquals(expected,
                replays.trafficCalls() - trafficBefore, "upstream calls of the warm pass (probes left out): those of the"
                        + " non-cacheable cases in the cold pass"))));
    }

    private void warm(Case c, int index) {
        String id = clientId(index, 1);
        boolean immutable = expectCached(c);
        int[] perReplay = perReplayCalls(c.key());
        OptionalInt forwarded = upstreamCalls(c, () -> exchange(c, id), 20);
        if (isBroadcast(c)) {
            awaitBroadcast(c, perReplay);
            return;
        }
        assertTrue(forwarded.isPresent(), c.name() + ": found no probe-free moment to measure in");
        if (immutable) {
            assertEquals(0, forwarded.getAsInt(), c.name() + ": an immutable answer is served from the cache, no upstream call");
        } else {
            assertTrue(forwarded.getAsInt() >= 1, c.name() + ": a non-cacheable request is forwarded every time (calls: "
                    + forwarded.getAsInt() + ")");
        }
        assertEquals(immutable, isCached(c), c.name() + ": cache state after the warm request");
    }

    // ------------------------------------------------------------------ one batch

    /** The whole corpus as one batch, each item with its own id: cold, then warm. */
    @Test
    @Order(3)
    void wholeCorpusAsOneBatch() {
        gateway.cache().invalidateAll();
        List<String> coldIds = IntStream.range(0, CASES.size()).mapToObj(i -> batchId(i, 0)).toList();
        List<String> warmIds = IntStream.range(0, CASES.size()).mapToObj(i -> batchId(i, 1)).toList();
        assertEquals(CASES.size(), new HashSet<>(coldIds).size(), "distinct batch ids");

        Map<String, Integer> before = callsByCase();
        checkBatch("cold batch", coldIds);
        awaitBatchBroadcasts(before);

        Map<String, Integer> warmBefore = callsByCase();
        checkBatch("warm batch", warmIds);
        awaitBatchBroadcasts(warmBefore);
        List<String> forwardedAgain = new ArrayList<>();
        for (Case c : CASES) {
            if (expectCached(c) && !ReplayUpstream.PROBE_KEYS.contains(c.key())
                    && replays.calls(c.key()) != warmBefore.get(c.key())) {
                forwardedAgain.add(c.name());
            }
        }
        assertEquals(List.of(), forwardedAgain, "immutable batch items forwarded again in the warm batch instead of answered from the cache");
        assertEquals(List.of(), replays.unmatched(), "every forwarded request was found in the corpus");
    }

    private void checkBatch(String what, List<String> ids) {
        StringBuilder body = new StringBuilder("[");
        StringBuilder expected = new StringBuilder("[");
        for (int i = 0; i < CASES.size(); i++) {
            body.append(i == 0 ? "" : ",").append(CASES.get(i).requestWithId(ids.get(i)));
            expected.append(i == 0 ? "" : ",").append(CASES.get(i).responseWithId(ids.get(i)));
        }
        Response r = post(body.append(']').toString());
        assertEquals(200, r.statusCode(), what + ": HTTP status");
        String actual = new String(r.asByteArray(), StandardCharsets.UTF_8);
        if (actual.equals(expected.append(']').toString())) {
            return;
        }
        // Say which items differ, and how.
        List<String> items = topLevelElements(actual);
        List<String> problems = new ArrayList<>();
        if (items.size() != CASES.size()) {
            problems.add(items.size() + " answers for " + CASES.size() + " requests");
        }
        for (int i = 0; i < Math.min(items.size(), CASES.size()); i++) {
            String want = CASES.get(i).responseWithId(ids.get(i));
            if (!want.equals(items.get(i))) {
                problems.add(CASES.get(i).name() + " (item " + i + ", id " + ids.get(i) + "): " + difference(want, items.get(i)));
            }
        }
        fail(what + ": " + problems.size() + " answers differ from the recording:\n  " + String.join("\n  ", problems));
    }

    private Map<String, Integer> callsByCase() {
        return CASES.stream().map(Case::key).distinct().collect(Collectors.toMap(k -> k, replays::calls));
    }

    private void awaitBatchBroadcasts(Map<String, Integer> before) {
        for (Case c : CASES) {
            if (isBroadcast(c)) {
                Await.until(c.name() + " broadcast to every replay",
                        () -> replays.calls(c.key()) == before.get(c.key()) + ReplayNodesResource.REPLAYS);
            }
        }
    }

    // ------------------------------------------------------------------ exchanges and assertions

    /** Sends the recorded request with the client's id; the answer must be the recorded one with that id. */
    private void exchange(Case c, String id) {
        String request = c.requestWithId(id);
        Response r = post(request);
        String expected = c.responseWithId(id);
        String actual = new String(r.asByteArray(), StandardCharsets.UTF_8);
        if (r.statusCode() != 200 || !expected.equals(actual)) {
            fail(c.name() + " (" + c.file() + ")\n  request:  " + ConformanceCorpus.abbreviate(request)
                    + "\n  expected: HTTP 200 " + ConformanceCorpus.abbreviate(expected)
                    + "\n  actual:   HTTP " + r.statusCode() + " " + ConformanceCorpus.abbreviate(actual)
                    + "\n  " + difference(expected, actual));
        }
        assertTrue(String.valueOf(r.contentType()).startsWith("application/json"), c.name() + ": content type " + r.contentType());
    }

    private static Response post(String body) {
        return given().contentType("application/json").body(body.getBytes(StandardCharsets.UTF_8)).post(PATH);
    }

    private static String difference(String expected, String actual) {
        int at = 0;
        while (at < expected.length() && at < actual.length() && expected.charAt(at) == actual.charAt(at)) {
            at++;
        }
        if (at == expected.length() && at == actual.length()) {
            return "identical";
        }
        int from = Math.max(0, at - 40);
        String json;
        try {
            json = new JsonObject(expected).equals(new JsonObject(actual)) ? "equal as JSON, different bytes"
                    : "different as JSON too";
        } catch (RuntimeException e) {
            json = "the answer is not a JSON object";
        }
        return "first difference at char " + at + " (" + json + "): expected …"
                + expected.substring(from, Math.min(expected.length(), at + 60)) + "… actual …"
                + actual.substring(Math.min(from, actual.length()), Math.min(actual.length(), at + 60)) + "…";
    }

    /** The raw texts of the elements of a JSON array text. */
    private static List<String> topLevelElements(String array) {
        List<String> out = new ArrayList<>();
        try (JsonParser p = new JsonFactory().createParser(array)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return List.of(array);
            }
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
                int start = (int) p.currentTokenLocation().getCharOffset();
                p.skipChildren();
                int end = (int) p.currentLocation().getCharOffset();
                out.add(array.substring(start, end));
            }
        } catch (IOException e) {
            return List.of(array);
        }
        return out;
    }

    /**
     * Ids clients use, never the recorded ones: a string with an escape and non-ASCII text, a number beyond 64 bits, a
     * negative number, a plain number. Each pass turns them round so every case meets several kinds.
     */
    static String clientId(int index, int pass) {
        return switch ((index + pass) % 4) {
            case 0 -> "\"conf-" + pass + "-" + index + " \\\"é☃\\\"\"";
            case 1 -> "12345678901234567890123";
            case 2 -> "-" + (index + 3);
            default -> Integer.toString(1000 + index);
        };
    }

    /** Distinct ids for batch items. */
    private static String batchId(int index, int pass) {
        return switch ((index + pass) % 4) {
            case 0 -> "\"batch-" + pass + "-" + index + "\"";
            case 1 -> "1234567890123456789012" + String.format("%03d", index);
            case 2 -> "-" + (pass * 1000 + index + 1);
            default -> Integer.toString(pass * 1000 + 500 + index);
        };
    }

    private boolean isCached(Case c) {
        String params = c.paramsText();
        CacheKey key = CacheKey.of(ReplayNodesResource.NETWORK, c.method(), params == null ? null : params.getBytes(StandardCharsets.UTF_8));
        return key != null && gateway.cache().get(key) != null;
    }

    private static boolean isBroadcast(Case c) {
        return c.method().equals("eth_sendRawTransaction");
    }

    private int[] perReplayCalls(String key) {
        return replays.replays().stream().mapToInt(r -> r.calls(key)).toArray();
    }

    /** A signed transaction goes to all three replays, once each. */
    private void awaitBroadcast(Case c, int[] before) {
        Await.until(c.name() + " reaches every replay", () -> {
            for (int i = 0; i < replays.size(); i++) {
                if (replays.get(i).calls(c.key()) < before[i] + 1) {
                    return false;
                }
            }
            return true;
        });
        for (int i = 0; i < replays.size(); i++) {
            assertEquals(before[i] + 1, replays.get(i).calls(c.key()), c.name() + ": sent once to replay " + i);
        }
    }

    // ------------------------------------------------------------------ counting upstream calls

    /**
     * Upstream calls the exchange caused for the case's key, over all replays. For most keys that is the difference
     * of the counters. The health probes send {@code eth_chainId}, {@code eth_blockNumber} and {@code eth_syncing}
     * with the very bytes a client's request is forwarded with, so for those keys the exchange is timed just after a
     * probe round and counted from the replays' arrival log; a round announces itself with
     * {@code eth_getBlockByNumber(["finalized",false])}, which only probes send. When a round came within
     * {@link #PROBE_GUARD} of the exchange anyway, the measurement is retaken (up to {@code tries} times); empty
     * when none came out clean.
     */
    private OptionalInt upstreamCalls(Case c, Runnable exchange, int tries) {
        String key = c.key();
        if (!ReplayUpstream.PROBE_KEYS.contains(key)) {
            int before = replays.calls(key);
            exchange.run();
            return OptionalInt.of(replays.calls(key) - before);
        }
        for (int attempt = 0; attempt < tries; attempt++) {
            awaitJustAfterProbeRound();
            long t0 = System.nanoTime();
            exchange.run();
            long t1 = System.nanoTime();
            sleepUntil(t1 + PROBE_GUARD + TimeUnit.MILLISECONDS.toNanos(5));
            List<ReplayUpstream.Call> log = replays.replays().stream().flatMap(r -> r.log().stream()).toList();
            boolean probed = log.stream().anyMatch(call -> call.key().equals(ReplayUpstream.FINALIZED_PROBE_KEY)
                    && call.nanoTime() >= t0 - PROBE_GUARD && call.nanoTime() <= t1 + PROBE_GUARD);
            if (!probed) {
                return OptionalInt.of((int) log.stream()
                        .filter(call -> call.key().equals(key) && call.nanoTime() >= t0 && call.nanoTime() <= t1).count());
            }
        }
        return OptionalInt.empty();
    }

    /**
     * Waits until the last probe round is 25 to 65 ms old: rounds come every 250 ms (a little sooner while a late
     * timer catches up), so the next one is far off.
     */
    private void awaitJustAfterProbeRound() {
        Supplier<Long> lastRound = () -> replays.replays().stream().flatMap(r -> r.log().stream())
                .filter(call -> call.key().equals(ReplayUpstream.FINALIZED_PROBE_KEY))
                .mapToLong(ReplayUpstream.Call::nanoTime).max().orElse(Long.MIN_VALUE);
        Await.until("a probe round just finished", () -> {
            long last = lastRound.get();
            long age = System.nanoTime() - last;
            return last != Long.MIN_VALUE && age >= TimeUnit.MILLISECONDS.toNanos(25) && age <= TimeUnit.MILLISECONDS.toNanos(65);
        });
    }

    private static void sleepUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    // ------------------------------------------------------------------ what must be cached (DESIGN.md)

    /**
     * Whether DESIGN.md's cache rules make the recorded answer immutable, with every recorded block final (the chain
     * is frozen at 0x36 and the replays report 0x36 as finalized). Written from the design, not from the
     * implementation's rule table, so that the two check each other:
     * <ul>
     *   <li>never: errors, null results (unknown hash, block after the head, tx not found), tags, absent block
     *   params (latest), writes, estimates, fee and gas price data, methods the design does not list;</li>
     *   <li>{@code eth_chainId}, {@code net_version}: always;</li>
     *   <li>by block hash (bare, or an EIP-1898 object without {@code requireCanonical}) — but not an empty answer
     *   under a hash, which may only mean the node lacks the block;</li>
     *   <li>by a block number at or below the finalized block ({@code earliest} = 0), empty answers included;</li>
     *   <li>{@code eth_getLogs}: a block hash alone, or both ends numeric, ordered and final;</li>
     *   <li>{@code eth_getTransactionByHash}/{@code Receipt}: once the result's block is final.</li>
     * </ul>
     */
    static boolean expectCached(Case c) {
        if (c.isError() || c.result() == null) {
            return false;
        }
        boolean empty = c.result() instanceof JsonArray list ? list.isEmpty() : c.result() instanceof JsonObject object && object.isEmpty();
        JsonArray p = c.params() instanceof JsonArray a ? a : new JsonArray();
        return switch (c.method()) {
            case "eth_chainId", "net_version" -> true;
            case "eth_getBlockByHash", "eth_getBlockTransactionCountByHash", "eth_getTransactionByBlockHashAndIndex",
                 "eth_getUncleByBlockHashAndIndex", "eth_getUncleCountByBlockHash" -> isHash(element(p, 0)) && !empty;
            case "eth_getBlockByNumber", "eth_getBlockTransactionCountByNumber", "eth_getTransactionByBlockNumberAndIndex",
                 "eth_getUncleByBlockNumberAndIndex", "eth_getUncleCountByBlockNumber", "eth_getBlockReceipts" ->
                    immutableBlock(element(p, 0), empty);
            case "eth_getBalance", "eth_getCode", "eth_getTransactionCount", "eth_call" -> immutableBlock(element(p, 1), empty);
            case "eth_getStorageAt", "eth_getProof" -> immutableBlock(element(p, 2), empty);
            case "eth_getLogs" -> element(p, 0) instanceof JsonObject filter && immutableLogs(filter, empty);
            case "eth_getTransactionByHash", "eth_getTransactionReceipt" -> c.result() instanceof JsonObject tx
                    && tx.getValue("blockNumber") instanceof String n && isFinalNumber(n);
            default -> false;
        };
    }

    private static Object element(JsonArray params, int index) {
        return index < params.size() ? params.getValue(index) : null;
    }

    private static boolean immutableBlock(Object ref, boolean emptyResult) {
        if (ref instanceof JsonObject eip1898) {
            if (eip1898.getValue("blockHash") != null) {
                return isHash(eip1898.getValue("blockHash")) && !Boolean.TRUE.equals(eip1898.getValue("requireCanonical")) && !emptyResult;
            }
            ref = eip1898.getValue("blockNumber");
        }
        if (!(ref instanceof String text)) {
            return false; // absent or null: latest
        }
        if (isHash(text)) {
            return !emptyResult;
        }
        return text.equals("earliest") || isFinalNumber(text);
    }

    private static boolean immutableLogs(JsonObject filter, boolean emptyResult) {
        if (filter.getValue("blockHash") != null) {
            return isHash(filter.getValue("blockHash")) && !filter.containsKey("fromBlock") && !filter.containsKey("toBlock") && !emptyResult;
        }
        long from = logsEnd(filter.getValue("fromBlock"));
        long to = logsEnd(filter.getValue("toBlock"));
        return from >= 0 && to >= from && to <= HEAD;
    }

    private static long logsEnd(Object end) {
        if ("earliest".equals(end)) {
            return 0;
        }
        return end instanceof String text ? quantity(text) : -1;
    }

    private static boolean isFinalNumber(String text) {
        long n = quantity(text);
        return n >= 0 && n <= HEAD;
    }

    private static long quantity(String text) {
        if (!text.startsWith("0x") || text.length() < 3 || text.length() > 18) {
            return -1;
        }
        try {
            return Long.parseLong(text.substring(2), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isHash(Object value) {
        return value instanceof String s && s.matches("0x[0-9a-fA-F]{64}");
    }
}
