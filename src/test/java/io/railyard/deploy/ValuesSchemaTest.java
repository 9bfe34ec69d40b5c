package io.railyard.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** values.schema.json stops a wrong value before anything reaches the cluster, naming the value. */
class ValuesSchemaTest {

    @TempDir
    static Path tmp;

    /** One valid network, so that a single wrong value is the only problem. */
    static Path network;

    @BeforeAll
    static void writeNetwork() throws IOException {
        network = tmp.resolve("network.yaml");
        Files.writeString(network, """
                networks:
                  mainnet:
                    chainId: 1
                    routing: round-robin
                    upstreams:
                      node-a: { url: "http://10.0.0.1:8545", weight: 2 }
                """);
    }

    @Test
    void acceptsTheDefaultsTheExampleAndAValidNetwork() {
        assertDoesNotThrow(HelmChart::renderDefaults);
        assertDoesNotThrow(HelmChart::renderFull);
        assertDoesNotThrow(() -> HelmChart.render(List.of(network), Map.of()));
    }

    @Test
    void rejectsAStringReplicaCount() {
        assertRejected(Map.of("replicaCount", "three"), "replicaCount");
    }

    @Test
    void rejectsARoutingPolicyThatDoesNotExist() {
        assertRejected(Map.of("networks.mainnet.routing", "random"), "routing");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "networks.mainnet.chainId, 0, chainId",
            "networks.mainnet.upstreams.node-a.weight, 0, weight",
            "networks.mainnet.upstreams.node-a.url, ftp://10.0.0.1, url",
            "networks.mainnet.chainID, 1, chainID",
            "networks.main net.chainId, 1, main net",
            "health.interval, soon, interval",
            "health.circuitBreaker.failureRatio, 1.5, failureRatio",
            "cache.enabled, yes please, enabled",
            "rateLimit.backend, memcached, backend",
            "rateLimit.redisFailureMode, fail-sometimes, redisFailureMode",
            "service.type, ExternalName, type",
            "image.pullPolicy, Sometimes, pullPolicy",
            "replicas, 3, replicas",
            "apiKeys.wallet.rate, 5, wallet",
            "management.port, 70000, port",
            "management.service.enabled, sometimes, enabled",
            "management.path, /q, path",
            "status.public, yes, public",
            "errors.exposeUpstreamNames, maybe, exposeUpstreamNames",
            "networkPolicy.managementFromNamespaces, monitoring, managementFromNamespaces",
    })
    void rejectsOtherWrongValues(String key, String value, String named) {
        assertRejected(Map.of(key, value), named);
    }

    @Test
    void rejectsAnUpstreamWithoutUrl() throws IOException {
        Path values = tmp.resolve("no-url.yaml");
        Files.writeString(values, """
                networks:
                  mainnet:
                    chainId: 1
                    upstreams:
                      node-a: { weight: 2 }
                """);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HelmChart.render(List.of(values), Map.of()));
        assertTrue(e.getMessage().contains("node-a"), e.getMessage());
    }

    private static void assertRejected(Map<String, Object> set, String named) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HelmChart.render(List.of(network), set),
                "accepted " + set);
        assertTrue(e.getMessage().contains("schema"), "rejected by values.schema.json: " + e.getMessage());
        assertTrue(e.getMessage().contains(named), "the message names " + named + ": " + e.getMessage());
    }
}
