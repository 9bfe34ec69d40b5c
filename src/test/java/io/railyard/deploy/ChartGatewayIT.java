package io.railyard.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.railyard.testing.FakeUpstream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * End to end from Helm values to a running gateway: the chart renders its ConfigMap from an example values file
 * whose upstreams are fake nodes; the packaged gateway ({@code java -jar target/quarkus-app/quarkus-run.jar}, a
 * separate process, as in the container) starts on that application.yaml, with the Secret's entries handed over as
 * the environment variables the Deployment declares; {@code /status} (on the management port) must then show the
 * networks and upstreams the values describe, all healthy, while the RPC port answers 404 for it.
 *
 * <p>A failsafe integration test: it needs the packaged jar, which {@code mvn verify} builds before this phase.
 */
class ChartGatewayIT {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    final List<FakeUpstream> fakes = new ArrayList<>();
    Process gateway;
    Path log;

    @AfterEach
    void stop() throws InterruptedException {
        if (gateway != null && gateway.isAlive()) {
            gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        fakes.forEach(FakeUpstream::close);
    }

    @Test
    void gatewayStartsOnTheRenderedConfigMapWithTheNetworksOfTheValues(@TempDir Path tmp) throws Exception {
        Path jar = HelmChart.projectDir().resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            fail(jar + " does not exist: package the gateway first (./mvnw -B package -DskipTests), or run ./mvnw -B verify, "
                    + "which packages it before the integration tests");
        }

        FakeUpstream nodeA = fake(FakeUpstream.start());
        FakeUpstream nodeB = fake(FakeUpstream.start());
        FakeUpstream provider = fake(FakeUpstream.start());
        FakeUpstream reth = fake(FakeUpstream.start().chain(11155111, 5000, 4900));

        // The fake nodes' URLs, known only now, go in a second values file, the way a user layers values files.
        Path overlay = tmp.resolve("fake-nodes.yaml");
        Files.writeString(overlay, """
                networks:
                  mainnet:
                    upstreams:
                      node-a: { url: "%s" }
                      node-b: { url: "%s" }
                  sepolia:
                    upstreams:
                      reth-1: { url: "%s" }
                secrets:
                  data:
                    mainnet-provider-url: "%s/v2/not-a-real-key"
                """.formatted(nodeA.url(), nodeB.url(), reth.url(), provider.url()));
        HelmChart.Rendered rendered = HelmChart.render(
                List.of(HelmChart.projectDir().resolve("src/test/resources/helm/e2e-values.yaml"), overlay), Map.of());

        Path config = tmp.resolve("application.yaml");
        Files.writeString(config, rendered.applicationYaml());
        assertFalse(rendered.applicationYaml().contains("not-a-real-key"), "the provider's key stays in the Secret");

        int port = freePort();
        int managementPort = freePort();
        log = HelmChart.projectDir().resolve("target/chart-gateway-it/gateway.log");
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-Dquarkus.config.locations=" + config,
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.port=" + managementPort,
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-jar", jar.toString())
                .directory(tmp.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("RAILYARD_") || name.startsWith("QUARKUS_") || name.startsWith("SECRET_"));
        env.putAll(podEnvironment(rendered));
        gateway = builder.start();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String base = "http://127.0.0.1:" + port;
        String management = "http://127.0.0.1:" + managementPort;
        awaitReady(http, management);
        // The operator's surfaces are on the management port the Deployment names, not on the RPC port.
        for (String path : List.of("/status", "/q/metrics", "/q/health/ready")) {
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode(), "GET " + path + " on the RPC port");
        }

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(management + "/status"))
                .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        JsonObject networks = new JsonObject(response.body()).getJsonObject("networks");
        assertEquals(Set.of("mainnet", "sepolia"), networks.fieldNames(), response.body());

        JsonObject mainnet = networks.getJsonObject("mainnet");
        assertEquals(1L, mainnet.getLong("chainId"));
        assertEquals("least-connections", mainnet.getString("routing"));
        Map<String, JsonObject> mainnetUpstreams = byName(mainnet.getJsonArray("upstreams"));
        assertEquals(Set.of("node-a", "node-b", "provider"), mainnetUpstreams.keySet());
        assertUpstream(mainnetUpstreams.get("node-a"), nodeA, 3);
        assertUpstream(mainnetUpstreams.get("node-b"), nodeB, 1);
        assertUpstream(mainnetUpstreams.get("provider"), provider, 1); // URL from the Secret, via ${SECRET_...}
        assertEquals(3, mainnet.getInteger("healthyUpstreams"));

        JsonObject sepolia = networks.getJsonObject("sepolia");
        assertEquals(11155111L, sepolia.getLong("chainId"));
        assertEquals("ip-hash", sepolia.getString("routing"));
        Map<String, JsonObject> sepoliaUpstreams = byName(sepolia.getJsonArray("upstreams"));
        assertEquals(Set.of("reth-1"), sepoliaUpstreams.keySet());
        assertUpstream(sepoliaUpstreams.get("reth-1"), reth, 1);

        // and it serves JSON-RPC as the values say: the default network on POST /; sepolia only with an API key,
        // the one from the Secret (in the path) or the one given by its SHA-256 (in the header)
        assertEquals("0x1", rpc(http, base + "/", null, 200).getString("result"));
        assertEquals(-32001, rpc(http, base + "/sepolia", null, 401).getJsonObject("error").getInteger("code"));
        assertEquals("0xaa36a7", rpc(http, base + "/sepolia/it-wallet-key-0123456789", null, 200).getString("result"));
        assertEquals("0x1", rpc(http, base + "/mainnet", "indexer-key", 200).getString("result"));
        assertEquals(-32001, rpc(http, base + "/sepolia/not-a-key", null, 401).getJsonObject("error").getInteger("code"));

        // SIGTERM, as Kubernetes sends it: the gateway drains and exits within the grace period the chart computed
        long grace = rendered.deployment().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        gateway.destroy();
        assertTrue(gateway.waitFor(grace, TimeUnit.SECONDS), "the gateway did not exit within " + grace + " s of SIGTERM\n" + logTail());

        String output = Files.readString(log);
        assertFalse(output.contains("Unrecognized configuration key"), "a rendered key is unknown to Quarkus:\n" + output);
        assertFalse(output.contains("not-a-real-token"), "a credential reached the log");
        assertFalse(output.contains("it-wallet-key-0123456789"), "an API key reached the log");
        assertTrue(output.contains("\"network\":\"sepolia\""), "the access log is on and in JSON, as the values say");
    }

    /** The environment the Deployment gives the container, with Secret references resolved from the rendered Secret. */
    static Map<String, String> podEnvironment(HelmChart.Rendered rendered) {
        Container container = rendered.deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> secretData = rendered.find(Secret.class).map(Secret::getStringData).orElse(Map.of());
        Map<String, String> env = new HashMap<>();
        for (EnvVar var : container.getEnv()) {
            switch (var.getName()) {
                // the process gets these as system properties: a local file, a free port, a small heap
                case "QUARKUS_CONFIG_LOCATIONS", "QUARKUS_HTTP_PORT", "QUARKUS_MANAGEMENT_PORT", "JAVA_OPTS" -> {
                }
                default -> {
                    if (var.getValueFrom() != null) {
                        String key = var.getValueFrom().getSecretKeyRef().getKey();
                        assertNotNull(secretData.get(key), "the Deployment references Secret entry " + key + " the Secret lacks");
                        env.put(var.getName(), secretData.get(key));
                    } else {
                        env.put(var.getName(), var.getValue());
                    }
                }
            }
        }
        assertTrue(env.containsKey("SECRET_MAINNET_PROVIDER_URL") && env.containsKey("SECRET_MAINNET_PROVIDER_AUTH"), env.keySet().toString());
        return env;
    }

    private void awaitReady(HttpClient http, String management) throws Exception {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(management + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!gateway.isAlive()) {
                fail("the gateway exited with " + gateway.exitValue() + " before it was ready:\n" + logTail());
            }
            try {
                HttpResponse<String> response = http.send(ready, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        fail("the gateway was not ready within " + READY_TIMEOUT + " (last: " + last + "):\n" + logTail());
    }

    private static void assertUpstream(JsonObject upstream, FakeUpstream fake, int weight) {
        assertEquals(fake.url(), upstream.getString("url"), upstream.encode());
        assertEquals(weight, upstream.getInteger("weight"), upstream.encode());
        assertEquals("healthy", upstream.getString("state"), upstream.encode());
    }

    private static Map<String, JsonObject> byName(JsonArray upstreams) {
        return upstreams.stream().map(JsonObject.class::cast).collect(Collectors.toMap(u -> u.getString("name"), u -> u));
    }

    private static JsonObject rpc(HttpClient http, String url, String apiKey, int status) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"}"));
        if (apiKey != null) {
            request.header("X-Api-Key", apiKey);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), url + ": " + response.body());
        return new JsonObject(response.body());
    }

    private FakeUpstream fake(FakeUpstream fake) {
        fakes.add(fake);
        return fake;
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
