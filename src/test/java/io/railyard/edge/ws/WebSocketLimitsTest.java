package io.railyard.edge.ws;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.WsClient;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounds a WebSocket client lives within: connections per client (429 at the upgrade) and in all (503), the same rate limit per
 * message as over HTTP (-32005, the socket stays open), and the idle timeout for a client that sends nothing.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        @ResourceArg(name = "railyard.websocket.max-connections-per-client", value = "3"),
        @ResourceArg(name = "railyard.websocket.max-connections", value = "5"),
        @ResourceArg(name = "railyard.trusted-proxies", value = "127.0.0.1"),
        @ResourceArg(name = "railyard.websocket.idle-timeout", value = "1500ms"),
        @ResourceArg(name = "railyard.websocket.ping-interval", value = "60s"),
        @ResourceArg(name = "railyard.rate-limit.per-ip.rate", value = "1"),
        @ResourceArg(name = "railyard.rate-limit.per-ip.burst", value = "5")})
class WebSocketLimitsTest {

    private static final String NET = FakeNodesResource.NETWORK;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL base;

    private final List<WsClient> clients = new ArrayList<>();

    @BeforeEach
    void healthy() {
        Await.allHealthy(pools.pool(NET));
    }

    @AfterEach
    void closeClients() {
        clients.forEach(WsClient::close);
        clients.clear();
    }

    private WsClient connect() {
        WsClient ws = WsClient.connect(base.getPort(), "/" + NET);
        clients.add(ws);
        return ws;
    }

    @Test
    void aClientPastItsConnectionLimitIsRefused429AndAdmittedAgainOnceOneCloses() {
        for (int i = 0; i < 3; i++) {
            connect();
        }
        String refused = assertThrows(IllegalStateException.class, this::connect).getMessage();
        assertTrue(refused.contains("429"), refused);
        WsClient first = clients.remove(0);
        first.close();
        Await.until("a slot free again", () -> {
            try {
                connect();
                return true;
            } catch (IllegalStateException e) {
                return false;
            }
        });
    }

    @Test
    void pastTheGatewaysConnectionLimitAnUpgradeIsRefused503WhoeverAsks() {
        for (String client : List.of("203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2", "203.0.113.3")) {
            clients.add(WsClient.connect(base.getPort(), "/" + NET, java.util.Map.of("X-Forwarded-For", client)));
        }
        String refused = assertThrows(IllegalStateException.class,
                () -> WsClient.connect(base.getPort(), "/" + NET, java.util.Map.of("X-Forwarded-For", "203.0.113.4"))).getMessage();
        assertTrue(refused.contains("503"), refused);
    }

    @Test
    void messagesSpendTheSameRateLimitAsRequestsAndALimitedOneKeepsTheSocketOpen() {
        WsClient ws = connect();
        int limited = 0;
        for (int i = 0; i < 12; i++) {
            JsonObject answer = ws.call("eth_chainId", "[]");
            if (answer.containsKey("error")) {
                assertEquals(-32005, answer.getJsonObject("error").getInteger("code"), answer.encode());
                limited++;
            }
        }
        assertTrue(limited >= 5, "a burst of 5 at 1/s: " + limited + " of 12 limited");
        assertFalse(ws.isClosed(), "a limited message is answered, the socket stays open");
    }

    @Test
    void aClientThatSendsNothingIsClosedAfterTheIdleTimeout() {
        WsClient ws = connect();
        // Vert.x's client answers pings, but the gateway pings only every 60 s here: nothing arrives from it.
        short code = ws.closeCode();
        assertEquals(CloseCodes.GOING_AWAY, code, "closed for idling, and told so: " + ws.closeReason());
        assertTrue(ws.closeReason().contains("idle-timeout"), ws.closeReason());
        System.out.printf("idle WebSocket closed with %d (%s)%n", code, ws.closeReason());
    }
}
