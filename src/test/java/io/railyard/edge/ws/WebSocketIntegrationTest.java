package io.railyard.edge.ws;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeChain;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.WsClient;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JSON-RPC over WebSocket against three fake nodes serving a scripted chain: the same pipeline as HTTP, the
 * documented refusals and close codes, and subscriptions served from one stream per network (polled every 100 ms,
 * the nodes' own head announcements left out):
 * in order without gaps when the chain jumps, reorgs replayed with {@code removed: true}, and upstream calls that
 * do not grow with the number of subscribers.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        @ResourceArg(name = "railyard.subscriptions.poll-interval", value = "100ms"),
        // Followed by polling alone here; WebSocketFeedIntegrationTest follows the nodes' own newHeads.
        @ResourceArg(name = "railyard.subscriptions.upstream-heads", value = "false"),
        @ResourceArg(name = "railyard.websocket.max-message-bytes", value = "4096"),
        @ResourceArg(name = "railyard.websocket.max-subscriptions-per-connection", value = "50"),
        @ResourceArg(name = "railyard.networks.testnet.cors.allowed-origins", value = "https://app.example"),
        @ResourceArg(name = "railyard.websocket.max-pending-bytes", value = "262144")})
class WebSocketIntegrationTest {

    private static final String NET = FakeNodesResource.NETWORK;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL base;

    private FakeChain chain;
    private final List<WsClient> clients = new ArrayList<>();

    @BeforeEach
    void scriptedChain() {
        fakes.resetAll();
        long head = Math.max(100, pools.pool(NET).servedHead());
        chain = new FakeChain(head, 0).serve(fakes.nodes());
        Await.allHealthy(pools.pool(NET));
    }

    @AfterEach
    void closeClients() {
        clients.forEach(WsClient::close);
        clients.clear();
    }

    private WsClient connect(String path) {
        WsClient client = WsClient.connect(base.getPort(), path);
        clients.add(client);
        return client;
    }

    private static long number(JsonObject notification) {
        return Long.decode(notification.getJsonObject("params").getJsonObject("result").getString("number"));
    }

    @Test
    void singleAndBatchRequestsGoThroughThePipeline() {
        WsClient ws = connect("/" + NET);
        assertEquals("0x1", ws.call("eth_chainId", "[]").getString("result"));
        ws.send("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"net_version\"},{\"jsonrpc\":\"2.0\",\"id\":\"two\",\"method\":\"eth_chainId\"}]");
        JsonArray batch = new JsonArray(ws.nextAnswer());
        assertEquals(1, batch.getJsonObject(0).getInteger("id"));
        assertEquals("1", batch.getJsonObject(0).getString("result"));
        assertEquals("two", batch.getJsonObject(1).getString("id"));
        assertEquals(-32601, ws.call("admin_peers", "[]").getJsonObject("error").getInteger("code"), "method policy applies");
    }

    @Test
    void notJsonIsAParseErrorAndTheSocketStaysUsable() {
        WsClient ws = connect("/" + NET);
        ws.send("this is not json");
        JsonObject error = new JsonObject(ws.nextAnswer());
        assertEquals(-32700, error.getJsonObject("error").getInteger("code"));
        assertEquals("0x1", ws.call("eth_chainId", "[]").getString("result"));
        assertFalse(ws.isClosed());
    }

    @Test
    void binaryMessageClosesWith1003() {
        WsClient ws = connect("/" + NET);
        ws.socket().writeBinaryMessage(Buffer.buffer("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"}"));
        assertEquals(CloseCodes.UNSUPPORTED_DATA, ws.closeCode());
    }

    @Test
    void messageOverTheLimitClosesWith1009() {
        WsClient ws = connect("/" + NET);
        ws.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":[\"" + "a".repeat(5000) + "\"]}");
        assertEquals(CloseCodes.MESSAGE_TOO_BIG, ws.closeCode());
    }

    @Test
    void messageOverTheLimitInSeveralFramesClosesWith1009() {
        WsClient ws = connect("/" + NET);
        String big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":[\"" + "a".repeat(5000) + "\"]}";
        ws.socket().writeFrame(io.vertx.core.http.WebSocketFrame.textFrame(big.substring(0, 3000), false));
        ws.socket().writeFrame(io.vertx.core.http.WebSocketFrame.continuationFrame(Buffer.buffer(big.substring(3000)), true));
        assertEquals(CloseCodes.MESSAGE_TOO_BIG, ws.closeCode());
    }

    @Test
    void upgradesThatCannotBeServedAreRefusedWithTheHttpStatusAPostWouldGet() {
        assertTrue(assertThrows(IllegalStateException.class, () -> connect("/no-such-net")).getMessage().contains("404"));
        assertTrue(assertThrows(IllegalStateException.class, () -> connect("/" + NET + "/wrong-key")).getMessage().contains("401"));
        assertEquals(0, fakes.calls("eth_subscribe"));
    }

    @Test
    void theUpgradeObeysTheNetworksOriginRules() {
        WsClient allowed = WsClient.connect(base.getPort(), "/" + NET, Map.of("Origin", "https://app.example"));
        clients.add(allowed);
        assertEquals("0x1", allowed.call("eth_chainId", "[]").getString("result"));
        String refused = assertThrows(IllegalStateException.class,
                () -> WsClient.connect(base.getPort(), "/" + NET, Map.of("Origin", "https://evil.example"))).getMessage();
        assertTrue(refused.contains("403"), refused);
    }

    @Test
    void aBrokenUpgradeIsRefused400AndTheGatewayStaysUp() throws Exception {
        for (String head : List.of(
                // no Sec-WebSocket-Key
                "GET /" + NET + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
                // a version nobody speaks
                "GET /" + NET + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n")) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", base.getPort())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine();
                assertTrue(status != null && status.matches("HTTP/1.1 4\\d\\d .*"), "refused with a 4xx: " + status);
            }
        }
        assertEquals("0x1", connect("/" + NET).call("eth_chainId", "[]").getString("result"));
    }

    @Test
    void subscribeOverHttpIsAClearErrorAndNeverForwarded() {
        JsonObject answer = new JsonObject(given().contentType("application/json")
                .body("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\",\"params\":[\"newHeads\"]}").post("/" + NET).asString());
        assertEquals(-32601, answer.getJsonObject("error").getInteger("code"));
        assertTrue(answer.getJsonObject("error").getString("message").contains("WebSocket"), answer.encode());
        assertEquals(0, fakes.calls("eth_subscribe"));
    }

    @Test
    void badSubscriptionParamsAreInvalidParams() {
        WsClient ws = connect("/" + NET);
        assertEquals(-32602, ws.call("eth_subscribe", "[\"bogus\"]").getJsonObject("error").getInteger("code"));
        assertEquals(-32602, ws.call("eth_subscribe", "[\"logs\",{\"address\":\"0x12\"}]").getJsonObject("error").getInteger("code"));
        assertEquals(-32602, ws.call("eth_subscribe", "[\"logs\",{\"fromBlock\":\"0x1\"}]").getJsonObject("error").getInteger("code"));
        assertEquals(-32602, ws.call("eth_subscribe", "[]").getJsonObject("error").getInteger("code"));
    }

    @Test
    void newHeadsArriveInOrderWithoutAGapWhenTheChainJumps() {
        WsClient ws = connect("/" + NET);
        ws.subscribe("[\"newHeads\"]");
        Await.until("the stream follows", () -> streamAt(chain.head()));
        long from = chain.head();
        chain.mine(1, 0);
        assertEquals(from + 1, number(ws.notifications(1).get(0)));
        String scrape = io.railyard.testing.Metrics.scrape();
        double gapsBefore = io.railyard.testing.Metrics.value(scrape, "railyard_stream_gaps_filled_total{network=\"" + NET + "\"}");
        assertEquals(1.0, io.railyard.testing.Metrics.value(scrape, "railyard_ws_connections{network=\"" + NET + "\"}"));
        assertEquals(1.0, io.railyard.testing.Metrics.value(scrape, "railyard_ws_subscriptions{kind=\"newHeads\",network=\"" + NET + "\"}"));
        assertTrue(io.railyard.testing.Metrics.value(scrape, "railyard_ws_messages_total{direction=\"out\",network=\"" + NET + "\"}") >= 2);
        String fanOuts = "railyard_stream_fanout_seconds_count{network=\"" + NET + "\"}";
        double fanOutsBefore = io.railyard.testing.Metrics.value(scrape, fanOuts);
        // Five blocks between two polls: the stream fetches the four it did not see as latest, by parent hash.
        chain.mine(5, 0);
        List<JsonObject> next = ws.notifications(5);
        for (int i = 0; i < 5; i++) {
            assertEquals(from + 2 + i, number(next.get(i)));
            assertEquals(chain.block(from + 2 + i).hash(), next.get(i).getJsonObject("params").getJsonObject("result").getString("hash"));
        }
        assertFalse(next.get(0).getJsonObject("params").getJsonObject("result").containsKey("transactions"), "a header, as geth sends");
        assertEquals(gapsBefore + 4, io.railyard.testing.Metrics.value("railyard_stream_gaps_filled_total{network=\"" + NET + "\"}"),
                "the four blocks between the polls were gaps the stream filled");
        Await.until("each block's fan-out is timed once", () -> io.railyard.testing.Metrics.value(fanOuts) == fanOutsBefore + 5);
    }

    @Inject
    io.railyard.subscription.HeadStreams streams;

    private boolean streamAt(long head) {
        return streams.of(NET).lastDelivered() >= head;
    }

    @Test
    void aReorgReplaysTheReplacedLogsAsRemovedNewestFirstThenTheNewBranch() {
        WsClient ws = connect("/" + NET);
        String heads = ws.subscribe("[\"newHeads\"]");
        String logs = ws.subscribe("[\"logs\",{\"address\":\"" + FakeChain.EMITTER + "\",\"topics\":[\"" + FakeChain.TOPIC + "\"]}]");
        Await.until("the stream follows", () -> streamAt(chain.head()));
        List<FakeChain.Block> mined = chain.mine(3, 2);
        List<JsonObject> first = ws.notifications(3 + 6);
        assertEquals(3, first.stream().filter(n -> sub(n).equals(heads)).count());
        assertEquals(6, first.stream().filter(n -> sub(n).equals(logs)).count());
        List<FakeChain.Block> branch = chain.reorg(2, 1);
        List<JsonObject> replay = ws.notifications(4 + 2 + 2);
        List<String> logEvents = new ArrayList<>();
        List<Long> headNumbers = new ArrayList<>();
        for (JsonObject n : replay) {
            JsonObject result = n.getJsonObject("params").getJsonObject("result");
            if (sub(n).equals(logs)) {
                logEvents.add(Long.decode(result.getString("blockNumber")) + "/" + result.getString("logIndex") + "/"
                        + (result.getBoolean("removed") ? "removed" : "added") + "/" + result.getString("blockHash").substring(0, 10));
            } else {
                headNumbers.add(Long.decode(result.getString("number")));
            }
        }
        long b1 = mined.get(1).number();
        long b2 = mined.get(2).number();
        String old1 = mined.get(1).hash().substring(0, 10);
        String old2 = mined.get(2).hash().substring(0, 10);
        String new1 = branch.get(0).hash().substring(0, 10);
        String new2 = branch.get(1).hash().substring(0, 10);
        assertEquals(List.of(b2 + "/0x1/removed/" + old2, b2 + "/0x0/removed/" + old2, b1 + "/0x1/removed/" + old1,
                b1 + "/0x0/removed/" + old1, b1 + "/0x0/added/" + new1, b2 + "/0x0/added/" + new2), logEvents);
        assertEquals(List.of(b1, b2), headNumbers);
    }

    private static String sub(JsonObject notification) {
        return notification.getJsonObject("params").getString("subscription");
    }

    @Test
    void aSubscriberThatDoesNotReadIsClosedWith1008AndOthersAreStillServed() {
        WsClient slow = connect("/" + NET);
        WsClient reader = connect("/" + NET);
        for (int i = 0; i < 50; i++) {
            slow.subscribe("[\"logs\",{}]");
        }
        reader.subscribe("[\"newHeads\"]");
        Await.until("the stream follows", () -> streamAt(chain.head()));
        double before = io.railyard.testing.Metrics.value("railyard_ws_slow_consumer_closes_total{network=\"" + NET + "\"}");
        slow.socket().pause();
        // 50 subscriptions x 100 logs of ~450 bytes: about 2 MB a block, more than the socket buffers and the bound hold.
        for (int i = 0; i < 8; i++) {
            chain.mine(1, 100);
            assertEquals(1, reader.notifications(1).size(), "the reading client keeps getting its heads");
        }
        slow.socket().resume();
        assertEquals(CloseCodes.POLICY_VIOLATION, slow.closeCode());
        assertTrue(slow.closeReason().contains("slow consumer"), slow.closeReason());
        assertEquals(before + 1, io.railyard.testing.Metrics.value("railyard_ws_slow_consumer_closes_total{network=\"" + NET + "\"}"));
    }

    @Test
    void pendingTransactionHashesComeFromOneFilterOnceEach() {
        java.util.concurrent.ConcurrentLinkedQueue<String> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (FakeUpstream node : fakes.nodes()) {
            node.result("eth_newPendingTransactionFilter", "\"0xf117e4\"");
            node.on("eth_getFilterChanges", call -> {
                List<String> out = new ArrayList<>();
                for (String h; (h = pending.poll()) != null; ) {
                    out.add(h);
                }
                return new FakeUpstream.Result(new JsonArray(new ArrayList<Object>(out)).encode());
            });
        }
        WsClient a = connect("/" + NET);
        WsClient b = connect("/" + NET);
        a.subscribe("[\"newPendingTransactions\"]");
        b.subscribe("[\"newPendingTransactions\"]");
        Await.until("a filter made", () -> fakes.calls("eth_newPendingTransactionFilter") >= 1);
        String h1 = "0x" + "11".repeat(32);
        String h2 = "0x" + "22".repeat(32);
        pending.add(h1);
        pending.add(h2);
        for (WsClient ws : List.of(a, b)) {
            List<JsonObject> got = ws.notifications(2);
            assertEquals(List.of(h1, h2), got.stream().map(n -> n.getJsonObject("params").getString("result")).toList());
        }
        assertEquals(1, fakes.calls("eth_newPendingTransactionFilter"), "one filter for every subscriber");
    }

    @Test
    void unsubscribeAnswersTrueThenFalseAndNotificationsStop() {
        WsClient ws = connect("/" + NET);
        String id = ws.subscribe("[\"newHeads\"]");
        Await.until("the stream follows", () -> streamAt(chain.head()));
        assertEquals(Boolean.TRUE, ws.call("eth_unsubscribe", "[\"" + id + "\"]").getBoolean("result"));
        assertEquals(Boolean.FALSE, ws.call("eth_unsubscribe", "[\"" + id + "\"]").getBoolean("result"));
        // A second subscription shows when the stream has delivered the block: the first one got nothing of it.
        ws.subscribe("[\"newHeads\"]");
        Await.until("the stream follows", () -> streamAt(chain.head()));
        ws.drainNotifications();
        chain.mine(1, 0);
        List<JsonObject> got = ws.notifications(1);
        assertFalse(sub(got.get(0)).equals(id));
    }

    @Test
    void subscriptionsPerConnectionAreBounded() {
        WsClient ws = connect("/" + NET);
        for (int i = 0; i < 50; i++) {
            ws.subscribe("[\"newHeads\"]");
        }
        JsonObject refused = ws.call("eth_subscribe", "[\"newHeads\"]");
        assertEquals(-32005, refused.getJsonObject("error").getInteger("code"));
        assertTrue(refused.getJsonObject("error").getString("message").contains("max-subscriptions-per-connection"));
    }

    @Test
    void upstreamCallsDoNotGrowWithTheNumberOfSubscribers() {
        long[] one = callsWhileMining(1, 2);
        long[] hundred = callsWhileMining(2, 50);
        long[] many = callsWhileMining(20, 50);
        System.out.printf("fan-out for 6 blocks (block fetches by hash, log calls): 2 subscribers %d, %d; 100: %d, %d; 1,000: %d, %d%n",
                one[0], one[1], hundred[0], hundred[1], many[0], many[1]);
        // Each block is fetched once (or not at all when it was read as the latest), its logs once.
        for (long[] calls : List.of(one, hundred, many)) {
            assertTrue(calls[0] <= 6, "block fetches by hash: " + calls[0]);
            assertEquals(6, calls[1], "one eth_getLogs per block");
        }
    }

    /** Upstream calls by hash and for logs while 6 blocks are mined under that many subscribers (half logs). */
    private long[] callsWhileMining(int connections, int perConnection) {
        List<WsClient> subscribers = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            WsClient ws = connect("/" + NET);
            subscribers.add(ws);
            for (int s = 0; s < perConnection; s++) {
                ws.subscribe(s % 2 == 0 ? "[\"newHeads\"]" : "[\"logs\",{}]");
            }
        }
        Await.until("the stream follows", () -> streamAt(chain.head()));
        fakes.nodes().forEach(FakeUpstream::resetCounts);
        chain.mine(3, 1);
        chain.mine(3, 1);
        int perClient = (perConnection + 1) / 2 + perConnection / 2;
        for (WsClient ws : subscribers) {
            assertEquals(6 * perClient, ws.notifications(6 * perClient).size());
        }
        long[] calls = {fakes.calls("eth_getBlockByHash"), fakes.calls("eth_getLogs")};
        subscribers.forEach(WsClient::close);
        clients.removeAll(subscribers);
        Await.until("the stream unfollowed", () -> !streams.of(NET).isFollowed());
        return calls;
    }
}
