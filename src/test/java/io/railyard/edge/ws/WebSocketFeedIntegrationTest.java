package io.railyard.edge.ws;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.subscription.HeadStreams;
import io.railyard.testing.Await;
import io.railyard.testing.FakeChain;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.WsClient;
import io.railyard.upstream.UpstreamPools;
import io.railyard.upstream.ws.HeadFeeds;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nodes' own new-heads subscriptions feed the subscription stream: one upstream subscription per node however
 * many clients subscribe, blocks delivered as soon as a node announces them (the stream's poll is an hour here, so
 * polling cannot be what delivers them), and a node's dropped socket opened again.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        @ResourceArg(name = "railyard.subscriptions.poll-interval", value = "1h")})
class WebSocketFeedIntegrationTest {

    private static final String NET = FakeNodesResource.NETWORK;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    HeadStreams streams;

    @Inject
    HeadFeeds feeds;

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
        Await.until("every node's heads followed over its socket",
                () -> pools.pool(NET).upstreams().stream().allMatch(feeds::isLive));
    }

    @AfterEach
    void closeClients() {
        clients.forEach(WsClient::close);
        clients.clear();
        Await.until("the stream unfollowed", () -> !streams.of(NET).isFollowed());
    }

    @Test
    void oneUpstreamSubscriptionPerNodeServesAThousandSubscribersAsSoonAsANodeAnnouncesABlock() {
        List<Integer> before = fakes.nodes().stream().map(FakeUpstream::headSubscriptions).toList();
        for (int c = 0; c < 10; c++) {
            WsClient ws = WsClient.connect(base.getPort(), "/" + NET);
            clients.add(ws);
            for (int s = 0; s < 100; s++) {
                ws.subscribe("[\"newHeads\"]");
            }
        }
        Await.until("the stream follows", () -> streams.of(NET).lastDelivered() >= chain.head());
        long from = chain.head();
        long started = System.nanoTime();
        chain.mine(3, 0);
        for (WsClient ws : clients) {
            List<io.vertx.core.json.JsonObject> got = ws.notifications(300);
            for (int i = 0; i < 300; i += 100) {
                assertEquals(from + 1 + i / 100, Long.decode(got.get(i).getJsonObject("params").getJsonObject("result").getString("number")),
                        "in order: " + got.get(i));
            }
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("upstream heads: 1,000 subscribers got 3 blocks %d ms after the nodes announced them (poll every hour);"
                + " upstream subscriptions per node %s -> %s%n", ms, before,
                fakes.nodes().stream().map(FakeUpstream::headSubscriptions).toList());
        assertEquals(before, fakes.nodes().stream().map(FakeUpstream::headSubscriptions).toList(), "no upstream subscription per client");
        fakes.nodes().forEach(n -> assertEquals(1, n.openHeadSubscriptions(), "one open upstream subscription per node"));
        io.vertx.core.json.JsonObject status = new io.vertx.core.json.JsonObject(
                io.railyard.testing.Management.given().get("/status").asString()).getJsonObject("networks").getJsonObject(NET);
        io.vertx.core.json.JsonObject subscriptions = status.getJsonObject("subscriptions");
        assertEquals(1000, subscriptions.getInteger("newHeads"), status.encode());
        assertEquals(List.of("node-0", "node-1", "node-2"), subscriptions.getJsonArray("fedBy").getList(), "/status names the feeding upstreams");
        assertEquals(from + 3, subscriptions.getLong("lastBlock"));
        assertEquals("websocket", status.getJsonArray("upstreams").getJsonObject(0).getString("headFeed"));
    }

    @Test
    void aNodesDroppedSocketIsOpenedAgainAndItsHeadsFollowedOverIt() {
        FakeUpstream node = fakes.get(0);
        int before = node.headSubscriptions();
        node.stop();
        Await.until("the feed noticed", () -> !feeds.isLive(pools.pool(NET).upstreams().get(0)));
        node.restart();
        Await.until("subscribed again", () -> node.headSubscriptions() == before + 1 && feeds.isLive(pools.pool(NET).upstreams().get(0)));
        assertEquals(1, node.openHeadSubscriptions());
    }
}
