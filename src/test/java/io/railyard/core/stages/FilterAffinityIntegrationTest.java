package io.railyard.core.stages;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.core.RpcGateway;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.Probes;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.railyard.testing.Rpc.call;
import static io.railyard.testing.Rpc.result;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Filter affinity over three fake nodes: a filter lives on the node that created it, so every call naming it
 * ({@code eth_getFilterChanges}, {@code eth_getFilterLogs}, {@code eth_uninstallFilter}) goes to that node alone,
 * while creations are spread by the routing policy. Moved out of HealthIntegrationTest.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "quarkus.http.test-port", value = "0"),
        // Probing rounds are run by the test (testing/Probes), as in HealthIntegrationTest.
        @ResourceArg(name = "railyard.health.interval", value = "1h"),
        @ResourceArg(name = "railyard.health.timeout", value = "500ms")})
class FilterAffinityIntegrationTest {

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @BeforeEach
    void threeHealthyNodes() {
        fakes.resetAll();
        fakes.nodes().forEach(n -> n.chain(1, 100, 90));
        // At least one round, so that what the last test left (a node's head, an ejection) is probed again.
        Probes.round();
        Probes.until("three healthy nodes to start from", () -> pool().upstreams().stream().allMatch(Upstream::isHealthy), 3);
        if (gateway.cache() != null) {
            gateway.cache().invalidateAll();
        }
        fakes.nodes().forEach(FakeUpstream::resetCounts);
    }


    @Test
    void filterCallsGoOnlyToTheUpstreamThatCreatedTheFilter() {
        for (int i = 0; i < fakes.size(); i++) {
            FakeUpstream n = fakes.get(i);
            n.result("eth_newFilter", "\"0xf" + i + "\"");
            n.result("eth_getFilterChanges", "[\"0xc" + i + "\"]");
            n.result("eth_getFilterLogs", "[\"0xd" + i + "\"]");
            n.result("eth_uninstallFilter", "true");
        }
        List<Integer> owners = new ArrayList<>();
        for (int f = 0; f < 3; f++) {
            Response created = post(call(f, "eth_newFilter", "[{\"fromBlock\":\"latest\"}]"));
            String id = new JsonObject(created.asString()).getString("result");
            assertNotNull(id, created.asString());
            owners.add(Integer.parseInt(id.substring(3)));
        }
        assertEquals(3, fakes.calls("eth_newFilter"), "filter creation reaches one node, once");
        assertEquals(List.of(0, 1, 2), owners.stream().sorted().toList(), "round-robin spread the three filters: " + owners);

        for (int owner : owners) {
            fakes.nodes().forEach(FakeUpstream::resetCounts);
            String id = "\"0xf" + owner + "\"";
            for (int k = 0; k < 10; k++) {
                Response r = post(call(k, "eth_getFilterChanges", "[" + id + "]"));
                assertEquals(result(k, "[\"0xc" + owner + "\"]"), r.asString());
            }
            Response logs = post(call(10, "eth_getFilterLogs", "[" + id + "]"));
            assertEquals(result(10, "[\"0xd" + owner + "\"]"), logs.asString());
            Response gone = post(call(11, "eth_uninstallFilter", "[" + id + "]"));
            assertEquals(result(11, "true"), gone.asString());
            for (int i = 0; i < fakes.size(); i++) {
                FakeUpstream n = fakes.get(i);
                int expected = i == owner ? 10 : 0;
                assertEquals(expected, n.calls("eth_getFilterChanges"), "filter " + id + ": eth_getFilterChanges on node-" + i);
                assertEquals(i == owner ? 1 : 0, n.calls("eth_getFilterLogs"), "filter " + id + ": eth_getFilterLogs on node-" + i);
                assertEquals(i == owner ? 1 : 0, n.calls("eth_uninstallFilter"), "filter " + id + ": eth_uninstallFilter on node-" + i);
            }
        }
    }

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    private static Response post(String body) {
        return given().contentType("application/json").body(body).post("/" + FakeNodesResource.NETWORK);
    }
}
