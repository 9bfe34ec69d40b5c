package io.railyard.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;
import io.fabric8.openshift.api.model.monitoring.v1.RuleGroup;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.railyard.metrics.Meters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.railyard.deploy.HelmChart.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Helm chart lints, renders, parses as Kubernetes objects and carries the gateway's configuration faithfully. */
class HelmChartTest {

    // ---------------------------------------------------------------- lint

    /** helm lint has no values flag: lint a copy of the chart whose values.yaml is the defaults merged with a values file. */
    @ParameterizedTest
    @ValueSource(strings = {"minimal", "full"})
    void lintsStrict(String values, @TempDir Path tmp) throws IOException {
        Path copy = tmp.resolve("railyard");
        copyTree(HelmChart.chartDir(), copy);
        Map<String, Object> merged = HelmChart.merge(HelmChart.yamlMap(HelmChart.chartDir().resolve("values.yaml")),
                HelmChart.yamlMap(values.equals("full") ? HelmChart.fullValues() : HelmChart.minimalValues()));
        HelmChart.YAML.writeValue(copy.resolve("values.yaml").toFile(), merged);
        assertLintsClean(copy);
    }

    /** A release without a network would start a pod that crash-loops: the chart refuses to render instead. */
    @Test
    void withoutANetworkTheChartRefusesToRenderAndSaysHow() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HelmChart.render(List.of(), Map.of()));
        assertTrue(e.getMessage().contains("networks: no network is configured"), e.getMessage());
        assertTrue(e.getMessage().contains("--set networks.mainnet.chainId=1"), e.getMessage());
        IllegalStateException install = assertThrows(IllegalStateException.class, () -> notes(List.of(), Map.of()));
        assertTrue(install.getMessage().contains("networks: no network is configured"), install.getMessage());
    }

    private static void assertLintsClean(Path chart) {
        LintResult result = new Helm(chart).lint().strict().call();
        List<String> problems = result.getMessages().stream()
                .filter(m -> m.contains("[WARNING]") || m.contains("[ERROR]")).toList();
        assertFalse(result.isFailed(), "helm lint --strict failed: " + result.getMessages());
        assertTrue(problems.isEmpty(), "helm lint --strict: " + problems);
    }

    // ---------------------------------------------------------------- render and parse

    @Test
    void rendersDefaultValues() {
        HelmChart.Rendered rendered = HelmChart.renderDefaults();
        assertEquals(List.of("ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"), rendered.kinds());
    }

    @Test
    void rendersFullValues() {
        HelmChart.Rendered rendered = HelmChart.renderFull();
        // two ConfigMaps: the gateway's configuration and the Grafana dashboard
        // two Services: the RPC one and the management one the ServiceMonitor scrapes through
        assertEquals(List.of("ConfigMap", "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy",
                "PodDisruptionBudget", "PrometheusRule", "Secret", "Service", "Service", "ServiceAccount", "ServiceMonitor"), rendered.kinds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"defaults", "full"})
    void everyManifestParsesAsItsKindWithoutUnknownFields(String values) {
        HelmChart.Rendered rendered = values.equals("full") ? HelmChart.renderFull() : HelmChart.renderDefaults();
        assertFalse(rendered.objects.isEmpty());
        for (HasMetadata object : rendered.objects) {
            assertEquals(object.getKind(), object.getClass().getSimpleName(), "parsed as the class of its kind");
            assertTrue(HelmChart.unknownFields(object).isEmpty(),
                    object.getKind() + " has fields Kubernetes does not know: " + HelmChart.unknownFields(object));
            assertNotNull(object.getMetadata().getName());
            assertTrue(object.getMetadata().getName().length() <= 63, object.getMetadata().getName());
            assertEquals("railyard", object.getMetadata().getLabels().get("app.kubernetes.io/name"), object.getKind());
            assertEquals(HelmChart.RELEASE, object.getMetadata().getLabels().get("app.kubernetes.io/instance"), object.getKind());
        }
    }

    // ---------------------------------------------------------------- the Deployment

    @ParameterizedTest
    @ValueSource(strings = {"defaults", "full"})
    void deploymentHasProbesPortsAndALockedDownSecurityContext(String values) {
        HelmChart.Rendered rendered = values.equals("full") ? HelmChart.renderFull() : HelmChart.renderDefaults();
        Deployment deployment = rendered.deployment();
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container gateway = pod.getContainers().get(0);
        assertEquals(1, pod.getContainers().size());

        assertEquals(2, gateway.getPorts().size());
        assertEquals("http", gateway.getPorts().get(0).getName());
        assertEquals(8080, gateway.getPorts().get(0).getContainerPort());
        assertEquals("TCP", gateway.getPorts().get(0).getProtocol());
        assertEquals("management", gateway.getPorts().get(1).getName());
        assertEquals(9000, gateway.getPorts().get(1).getContainerPort());
        assertEquals("TCP", gateway.getPorts().get(1).getProtocol());
        assertEquals("9000", env(gateway, "QUARKUS_MANAGEMENT_PORT").getValue());

        assertHttpProbe(gateway.getLivenessProbe(), "/q/health/live");
        assertHttpProbe(gateway.getReadinessProbe(), "/q/health/ready");
        assertHttpProbe(gateway.getStartupProbe(), "/q/health/live");
        assertTrue(gateway.getStartupProbe().getFailureThreshold() * gateway.getStartupProbe().getPeriodSeconds() >= 30,
                "a pod gets at least 30 s to start");

        PodSecurityContext podSecurity = pod.getSecurityContext();
        assertEquals(Boolean.TRUE, podSecurity.getRunAsNonRoot());
        assertEquals(185L, podSecurity.getRunAsUser());
        assertEquals("RuntimeDefault", podSecurity.getSeccompProfile().getType());
        SecurityContext security = gateway.getSecurityContext();
        assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem());
        assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation());
        assertEquals(Boolean.FALSE, security.getPrivileged());
        assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
        assertTrue(security.getCapabilities().getAdd() == null || security.getCapabilities().getAdd().isEmpty());
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());

        // read-only root: /tmp is an emptyDir, the config a read-only ConfigMap mount
        VolumeMount tmp = mount(gateway, "/tmp");
        Volume tmpVolume = volume(pod, tmp.getName());
        assertNotNull(tmpVolume.getEmptyDir(), "/tmp is an emptyDir");
        VolumeMount config = mount(gateway, "/etc/railyard");
        assertEquals(Boolean.TRUE, config.getReadOnly());
        ConfigMap configMap = rendered.gatewayConfigMap();
        assertEquals(configMap.getMetadata().getName(), volume(pod, config.getName()).getConfigMap().getName());
        assertEquals("/etc/railyard/application.yaml", env(gateway, "QUARKUS_CONFIG_LOCATIONS").getValue());

        assertNotNull(gateway.getResources().getRequests().get("memory"));
        assertNotNull(gateway.getResources().getLimits().get("memory"));

        // the pods the Service selects are exactly the Deployment's, on the named port
        Service service = rendered.rpcService();
        assertEquals(deployment.getSpec().getSelector().getMatchLabels(), service.getSpec().getSelector());
        assertTrue(deployment.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                .containsAll(service.getSpec().getSelector().entrySet()));
        assertEquals(1, service.getSpec().getPorts().size(), "the RPC Service carries the RPC port only");
        ServicePort port = service.getSpec().getPorts().get(0);
        assertEquals("http", port.getTargetPort().getStrVal());
    }

    /** Probes go to the management port: the RPC port does not serve /q/health. */
    private static void assertHttpProbe(Probe probe, String path) {
        assertNotNull(probe, "probe on " + path);
        assertEquals(path, probe.getHttpGet().getPath());
        assertEquals("management", probe.getHttpGet().getPort().getStrVal());
        assertTrue(probe.getPeriodSeconds() > 0 && probe.getTimeoutSeconds() > 0 && probe.getFailureThreshold() > 0);
    }

    @Test
    void gracePeriodCoversPreStopAndDrain() {
        // defaults: not ready but serving 3 s, then 20 s for requests in flight, 5 s margin; no preStop hook
        HelmChart.Rendered defaults = HelmChart.renderDefaults();
        PodSpec pod = defaults.deployment().getSpec().getTemplate().getSpec();
        assertNull(pod.getContainers().get(0).getLifecycle(), "no preStop hook when its sleep is 0");
        assertEquals(28L, pod.getTerminationGracePeriodSeconds());
        assertEquals("3s", at(defaults.applicationConfig(), "quarkus", "shutdown", "delay"));
        assertEquals("20s", at(defaults.applicationConfig(), "quarkus", "shutdown", "timeout"));

        // preStop 10 s, delay 5 s, drain 20 s
        HelmChart.Rendered full = HelmChart.renderFull();
        PodSpec fullPod = full.deployment().getSpec().getTemplate().getSpec();
        assertEquals(List.of("sleep", "10"), fullPod.getContainers().get(0).getLifecycle().getPreStop().getExec().getCommand());
        assertEquals(40L, fullPod.getTerminationGracePeriodSeconds());
        assertEquals("5s", at(full.applicationConfig(), "quarkus", "shutdown", "delay"));
        assertEquals("20s", at(full.applicationConfig(), "quarkus", "shutdown", "timeout"));

        HelmChart.Rendered fixed = HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("terminationGracePeriodSeconds", 90));
        assertEquals(90L, fixed.deployment().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
    }

    /** The chart's drain defaults are the gateway's own (application.properties), so a plain install drains alike. */
    @Test
    void drainDefaultsAreTheGatewaysShutdownSettings() throws IOException {
        java.util.Properties app = new java.util.Properties();
        try (var in = Files.newInputStream(HelmChart.projectDir().resolve("src/main/resources/application.properties"))) {
            app.load(in);
        }
        Map<String, Object> quarkus = at(HelmChart.renderDefaults().applicationConfig(), "quarkus");
        assertEquals(app.getProperty("quarkus.shutdown.delay"), at(quarkus, "shutdown", "delay"));
        assertEquals(app.getProperty("quarkus.shutdown.timeout"), at(quarkus, "shutdown", "timeout"));
        assertEquals("true", app.getProperty("quarkus.shutdown.delay-enabled"),
                "quarkus.shutdown.delay needs the build-time quarkus.shutdown.delay-enabled=true");
    }

    @Test
    void configChangeRollsThePods() {
        String config = checksum(HelmChart.renderFull(), "checksum/config");
        assertEquals(config, checksum(HelmChart.renderFull(), "checksum/config"), "stable across renders");
        assertNotEquals(config, checksum(HelmChart.render(List.of(HelmChart.fullValues()), Map.of("health.interval", "3s")), "checksum/config"));
        assertNotEquals(config, checksum(HelmChart.render(List.of(HelmChart.fullValues()),
                Map.of("networks.mainnet.upstreams.geth-a.weight", 5)), "checksum/config"));

        String secret = checksum(HelmChart.renderFull(), "checksum/secret");
        assertNotNull(secret);
        assertNotEquals(secret, checksum(HelmChart.render(List.of(HelmChart.fullValues()),
                Map.of("secrets.data.wallet-app-key", "rotated")), "checksum/secret"));
    }

    private static String checksum(HelmChart.Rendered rendered, String name) {
        return rendered.deployment().getSpec().getTemplate().getMetadata().getAnnotations().get(name);
    }

    @Test
    void autoscalerOwnsTheReplicaCountWhenEnabled() {
        HelmChart.Rendered defaults = HelmChart.renderDefaults();
        assertEquals(2, defaults.deployment().getSpec().getReplicas());
        assertTrue(defaults.find(HorizontalPodAutoscaler.class).isEmpty());

        HelmChart.Rendered full = HelmChart.renderFull();
        assertNull(full.deployment().getSpec().getReplicas(), "the HPA sets replicas, not the Deployment");
        HorizontalPodAutoscaler hpa = full.one(HorizontalPodAutoscaler.class);
        assertEquals(full.deployment().getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
        assertEquals(3, hpa.getSpec().getMinReplicas());
        assertEquals(12, hpa.getSpec().getMaxReplicas());
        assertEquals(Set.of("cpu", "memory"), hpa.getSpec().getMetrics().stream()
                .map(m -> m.getResource().getName()).collect(Collectors.toSet()));

        PodDisruptionBudget pdb = full.one(PodDisruptionBudget.class);
        assertEquals(2, pdb.getSpec().getMinAvailable().getIntVal());
        assertNull(pdb.getSpec().getMaxUnavailable());
        assertEquals(full.deployment().getSpec().getSelector(), pdb.getSpec().getSelector());
    }

    // ---------------------------------------------------------------- configuration and credentials

    @Test
    void configMapCarriesTheNetworksOfTheValues() {
        Map<String, Object> config = HelmChart.renderFull().applicationConfig();
        Map<String, Object> railyard = at(config, "railyard");
        assertEquals("mainnet", railyard.get("default-network"));
        assertEquals(1, (int) at(railyard, "networks", "mainnet", "chain-id"));
        assertEquals("least-connections", at(railyard, "networks", "mainnet", "routing"));
        assertEquals(Set.of("geth-a", "geth-b", "provider"), ((Map<?, ?>) at(railyard, "networks", "mainnet", "upstreams")).keySet());
        assertEquals("http://geth-a.eth-nodes.svc:8545", at(railyard, "networks", "mainnet", "upstreams", "geth-a", "url"));
        assertEquals(2, (int) at(railyard, "networks", "mainnet", "upstreams", "geth-a", "weight"));
        assertEquals("railyard", at(railyard, "networks", "mainnet", "upstreams", "geth-b", "headers", "X-Client"));
        assertEquals(11155111, (int) at(railyard, "networks", "sepolia", "chain-id"));
        assertEquals("ip-hash", at(railyard, "networks", "sepolia", "routing"));
        assertEquals(false, at(railyard, "networks", "sepolia", "broadcast-transactions"));
        assertEquals("1s", at(railyard, "health", "interval"));
        assertEquals(0.25, (double) at(railyard, "health", "circuit-breaker", "failure-ratio"));
        assertEquals(134217728, (int) at(railyard, "cache", "max-bytes"));
        assertEquals("6h", at(railyard, "cache", "expire-after-write"));
        assertEquals(100, (int) at(railyard, "limits", "max-batch-items"));
        assertEquals(List.of("10.0.0.0/8", "192.168.1.1"), railyard.get("trusted-proxies"));
        // rate limits and API keys: the gateway's railyard.rate-limit.* / railyard.api-keys.*
        assertEquals("redis", at(railyard, "rate-limit", "backend"));
        assertEquals(100, (int) at(railyard, "rate-limit", "per-ip", "rate"));
        assertEquals(200, (int) at(railyard, "rate-limit", "per-ip", "burst"));
        assertEquals(10, (int) at(railyard, "rate-limit", "method-costs", "eth_getLogs"));
        assertEquals("${SECRET_REDIS_ADDRESS}", at(railyard, "rate-limit", "redis-url"));
        assertEquals("fail-closed", at(railyard, "rate-limit", "redis-failure-mode"));
        assertEquals("250ms", at(railyard, "rate-limit", "redis-timeout"));
        assertEquals(List.of("admin_", "debug_", "personal_", "miner_", "engine_"), at(railyard, "networks", "sepolia", "deny-methods"));
        assertEquals(List.of("debug_traceTransaction"), at(railyard, "networks", "sepolia", "allow-methods"));
        assertEquals(5000, (int) at(railyard, "limits", "max-in-flight"));
        assertEquals("5s", at(railyard, "limits", "body-read-timeout"));
        assertEquals(true, at(railyard, "access-log", "enabled"));
        assertEquals("json", at(railyard, "access-log", "format"));
        assertEquals("${SECRET_WALLET_APP_KEY}", at(railyard, "api-keys", "wallet-app", "key"));
        assertEquals(List.of("mainnet"), at(railyard, "api-keys", "wallet-app", "networks"));
        assertEquals("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", at(railyard, "api-keys", "indexer", "key-sha256"));
        assertEquals(1000000, (int) at(railyard, "api-keys", "indexer", "rate"), "large numbers stay plain integers");
        assertEquals(true, at(railyard, "networks", "sepolia", "require-api-key"));
        // extraConfig is merged in, and the drain time reaches Quarkus
        assertEquals(false, at(config, "quarkus", "log", "console", "json"));
        assertEquals("DEBUG", at(config, "quarkus", "log", "category", "io.railyard", "level"));
    }

    @Test
    void credentialsStayInTheSecretAndReachThePodAsEnvironment() {
        HelmChart.Rendered rendered = HelmChart.renderFull();
        Map<String, Object> railyard = at(rendered.applicationConfig(), "railyard");
        assertEquals("${SECRET_MAINNET_PROVIDER_URL}", at(railyard, "networks", "mainnet", "upstreams", "provider", "url"));
        assertEquals("${SECRET_MAINNET_PROVIDER_AUTH}", at(railyard, "networks", "mainnet", "upstreams", "provider", "headers", "Authorization"));

        Secret secret = rendered.one(Secret.class);
        Map<String, String> data = secret.getStringData();
        assertEquals(Set.of("mainnet-provider-url", "mainnet-provider-auth", "wallet-app-key", "redis-address"), data.keySet());
        for (String value : data.values()) {
            assertFalse(rendered.applicationYaml().contains(value), "a credential leaked into the ConfigMap: " + value);
        }

        Container gateway = rendered.deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> expected = Map.of(
                "SECRET_MAINNET_PROVIDER_URL", "mainnet-provider-url",
                "SECRET_MAINNET_PROVIDER_AUTH", "mainnet-provider-auth",
                "SECRET_WALLET_APP_KEY", "wallet-app-key",
                "SECRET_REDIS_ADDRESS", "redis-address");
        expected.forEach((name, entry) -> {
            EnvVar var = env(gateway, name);
            assertEquals(secret.getMetadata().getName(), var.getValueFrom().getSecretKeyRef().getName());
            assertEquals(entry, var.getValueFrom().getSecretKeyRef().getKey());
        });
    }

    @Test
    void existingSecretIsReferencedInsteadOfCreated() {
        HelmChart.Rendered rendered = HelmChart.render(List.of(HelmChart.fullValues()), Map.of("secrets.existingSecret", "rpc-credentials"));
        assertTrue(rendered.find(Secret.class).isEmpty(), "no Secret with existingSecret");
        Deployment deployment = rendered.deployment();
        EnvVar url = env(deployment.getSpec().getTemplate().getSpec().getContainers().get(0), "SECRET_MAINNET_PROVIDER_URL");
        assertEquals("rpc-credentials", url.getValueFrom().getSecretKeyRef().getName());
        assertNull(deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/secret"));
    }

    @Test
    void aSecretEntryMissingFromTheDataStopsTheRender() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HelmChart.render(
                List.of(HelmChart.fullValues()), Map.of("networks.mainnet.upstreams.geth-a.headersFromSecret.X-Token", "no-such-entry")));
        assertTrue(e.getMessage().contains("no-such-entry"), e.getMessage());
    }

    @Test
    void redisBackendNeedsAnAddress() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("rateLimit.backend", "redis")));
        assertTrue(e.getMessage().contains("redis.address"), e.getMessage());
        Map<String, Object> railyard = at(HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("rateLimit.backend", "redis", "redis.address", "redis://redis:6379"))
                .applicationConfig(), "railyard");
        assertEquals("redis://redis:6379", at(railyard, "rate-limit", "redis-url"));
    }

    @Test
    void defaultsHaveNoKeysAndLocalLimits() {
        Map<String, Object> railyard = at(HelmChart.renderDefaults().applicationConfig(), "railyard");
        assertNull(railyard.get("api-keys"));
        assertEquals("memory", at(railyard, "rate-limit", "backend"));
        assertNull(at(railyard, "rate-limit", "redis-url"));
        assertNull(at(railyard, "cache", "max-bytes"), "the cache bound follows the pod's heap (a quarter of it)");
        assertTrue(HelmChart.renderDefaults().find(Secret.class).isEmpty(), "no Secret without credentials");
    }

    /** Every key the chart renders is one the gateway maps (an unknown railyard.* key stops it at startup). */
    @ParameterizedTest
    @ValueSource(strings = {"defaults", "full"})
    void renderedKeysAreTheGatewaysKeys(String values) {
        HelmChart.Rendered rendered = values.equals("full") ? HelmChart.renderFull() : HelmChart.renderDefaults();
        Map<String, Object> railyard = at(rendered.applicationConfig(), "railyard");
        assertEquals(List.of(), GatewayConfigKeys.unknownKeys(railyard));
    }

    /** values.yaml repeats the gateway's defaults (README's table); they must not drift apart. */
    @Test
    void defaultValuesAreTheGatewaysDefaults() {
        Map<String, Object> railyard = at(HelmChart.renderDefaults().applicationConfig(), "railyard");
        assertEquals(List.of(), GatewayConfigKeys.differencesFromDefaults(railyard));
    }

    // ---------------------------------------------------------------- NOTES.txt

    /** NOTES.txt is only rendered by install/upgrade: a client-only dry-run install (no cluster) shows it. */
    @Test
    void notesTellTheRpcUrls() {
        String full = notes(List.of(HelmChart.fullValues()), Map.of());
        assertTrue(full.contains("mainnet (chain 1): http://rpc-railyard.eth.svc.cluster.local:8545/mainnet"), full);
        assertTrue(full.contains("sepolia (chain 11155111): http://rpc-railyard.eth.svc.cluster.local:8545/sepolia/<api-key>"), full);
        assertTrue(full.contains("default network (mainnet): http://rpc-railyard.eth.svc.cluster.local:8545/"), full);
        assertTrue(full.contains("https://rpc.example.com/mainnet"), full);
        assertFalse(full.contains("WARNING"), full);
        assertFalse(full.contains("NOTE: "), "redis backend: no warning about multiplied limits\n" + full);

        String local = notes(List.of(HelmChart.fullValues()), Map.of("rateLimit.backend", "memory"));
        assertTrue(local.contains("times its rate"), "pods limiting on their own are pointed at Redis\n" + local);
    }

    private static String notes(List<Path> valuesFiles, Map<String, Object> set) {
        InstallCommand install = new Helm(HelmChart.chartDir()).install()
                .withName(HelmChart.RELEASE).withNamespace(HelmChart.NAMESPACE).withKubeVersion(HelmChart.KUBE_VERSION)
                .clientOnly().dryRun();
        for (Path values : valuesFiles) {
            install = install.withValuesFile(values);
        }
        for (Map.Entry<String, Object> e : set.entrySet()) {
            install = install.set(e.getKey(), e.getValue());
        }
        String output = install.call().getOutput();
        return output.substring(output.indexOf("NOTES:"));
    }

    // ---------------------------------------------------------------- networking and observability

    @Test
    void ingressPointsAtTheRpcPortNetworkPolicyAndServiceMonitorAtTheManagementPort() {
        HelmChart.Rendered rendered = HelmChart.renderFull();
        Service service = rendered.rpcService();
        Ingress ingress = rendered.one(Ingress.class);
        assertEquals("nginx", ingress.getSpec().getIngressClassName());
        assertEquals(service.getMetadata().getName(), ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getName());
        assertEquals("http", ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getPort().getName());

        NetworkPolicy policy = rendered.one(NetworkPolicy.class);
        assertEquals(rendered.deployment().getSpec().getSelector().getMatchLabels(), policy.getSpec().getPodSelector().getMatchLabels());
        assertEquals(List.of("Ingress", "Egress"), policy.getSpec().getPolicyTypes());
        assertEquals(2, policy.getSpec().getIngress().size(), "one rule for the RPC port, one for the management port");
        assertEquals("http", policy.getSpec().getIngress().get(0).getPorts().get(0).getPort().getStrVal());
        assertEquals(1, policy.getSpec().getIngress().get(0).getPorts().size());
        var management = policy.getSpec().getIngress().get(1);
        assertEquals(1, management.getPorts().size());
        assertEquals("management", management.getPorts().get(0).getPort().getStrVal());
        assertEquals(1, management.getFrom().size());
        var namespaces = management.getFrom().get(0).getNamespaceSelector().getMatchExpressions().get(0);
        assertEquals("kubernetes.io/metadata.name", namespaces.getKey());
        assertEquals("In", namespaces.getOperator());
        assertEquals(List.of("monitoring"), namespaces.getValues());
        assertEquals(53, policy.getSpec().getEgress().get(0).getPorts().get(0).getPort().getIntVal(), "DNS stays open");

        ServiceMonitor monitor = rendered.one(ServiceMonitor.class);
        assertEquals("/q/metrics", monitor.getSpec().getEndpoints().get(0).getPath());
        assertEquals("management", monitor.getSpec().getEndpoints().get(0).getPort());
        Service managementService = rendered.managementService().orElseThrow(() -> new AssertionError("the ServiceMonitor needs the management Service"));
        Map<String, String> selector = monitor.getSpec().getSelector().getMatchLabels();
        assertTrue(managementService.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()), "it selects the management Service");
        assertFalse(service.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()), "and not the RPC Service");
        assertEquals(List.of("management"), managementService.getSpec().getPorts().stream().map(ServicePort::getName).toList());
        assertEquals("kube-prometheus-stack", monitor.getMetadata().getLabels().get("release"));

        Map<String, String> podAnnotations = HelmChart.renderDefaults().deployment().getSpec().getTemplate().getMetadata().getAnnotations();
        assertEquals("true", podAnnotations.get("prometheus.io/scrape"));
        assertEquals("9000", podAnnotations.get("prometheus.io/port"), "scrapes go to the management port");
        assertEquals("/q/metrics", podAnnotations.get("prometheus.io/path"));
    }

    @Test
    void theServiceHasNoManagementPortUnlessAsked() {
        HelmChart.Rendered defaults = HelmChart.renderDefaults();
        assertTrue(defaults.managementService().isEmpty(), "no management Service by default");
        assertEquals(List.of("http"), defaults.rpcService().getSpec().getPorts().stream().map(ServicePort::getName).toList());

        HelmChart.Rendered asked = HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("management.service.enabled", true, "management.service.port", 9900));
        Service management = asked.managementService().orElseThrow();
        assertEquals("ClusterIP", management.getSpec().getType(), "cluster-internal");
        assertEquals(9900, management.getSpec().getPorts().get(0).getPort());
        assertEquals("management", management.getSpec().getPorts().get(0).getTargetPort().getStrVal());
        assertEquals(asked.deployment().getSpec().getSelector().getMatchLabels(), management.getSpec().getSelector());
        assertEquals(List.of("http"), asked.rpcService().getSpec().getPorts().stream().map(ServicePort::getName).toList(),
                "the RPC Service still carries the RPC port only");
        // A LoadBalancer RPC Service does not drag the management port out with it.
        HelmChart.Rendered public_ = HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("service.type", "LoadBalancer", "management.service.enabled", true));
        assertEquals("ClusterIP", public_.managementService().orElseThrow().getSpec().getType());
        assertEquals(List.of("http"), public_.rpcService().getSpec().getPorts().stream().map(ServicePort::getName).toList());
    }

    @Test
    void theManagementPortValueMovesProbesScrapesAndTheContainerPortTogether() {
        HelmChart.Rendered rendered = HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("management.port", 9100, "serviceMonitor.enabled", true));
        Container gateway = rendered.deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(9100, gateway.getPorts().get(1).getContainerPort());
        assertEquals("9100", env(gateway, "QUARKUS_MANAGEMENT_PORT").getValue());
        assertEquals("9100", rendered.deployment().getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"));
        assertEquals("management", rendered.managementService().orElseThrow().getSpec().getPorts().get(0).getTargetPort().getStrVal());
    }

    @Test
    void aNetworkPolicyWithoutManagementNamespacesOpensOnlyTheRpcPort() {
        NetworkPolicy policy = HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("networkPolicy.enabled", true)).one(NetworkPolicy.class);
        assertEquals(1, policy.getSpec().getIngress().size(), "the kubelet's probes need no rule");
        assertEquals("http", policy.getSpec().getIngress().get(0).getPorts().get(0).getPort().getStrVal());
    }

    @Test
    void statusAndErrorExposureAreRenderedIntoTheGatewayConfig() {
        String defaults = HelmChart.renderDefaults().applicationYaml();
        assertTrue(defaults.contains("public: false") && defaults.contains("expose-upstream-names: false"), defaults);
        String opened = HelmChart.render(List.of(HelmChart.minimalValues()), Map.of("status.public", true, "errors.exposeUpstreamNames", true)).applicationYaml();
        assertTrue(opened.contains("public: true") && opened.contains("expose-upstream-names: true"), opened);
    }

    @Test
    void prometheusRuleShipsTheAlertRules() throws IOException {
        PrometheusRule rule = HelmChart.renderFull().one(PrometheusRule.class);
        List<RuleGroup> groups = rule.getSpec().getGroups();
        Path chartRules = HelmChart.chartDir().resolve("files/railyard-rules.yaml");
        List<Map<String, Object>> fileGroups = at(HelmChart.yamlMap(chartRules), "groups");
        assertEquals(fileGroups.size() + 1, groups.size(), "the file's groups, then additionalGroups");
        for (int i = 0; i < fileGroups.size(); i++) {
            assertEquals(at(fileGroups.get(i), "name"), groups.get(i).getName());
            List<Map<String, Object>> fileRules = at(fileGroups.get(i), "rules");
            List<Rule> rules = groups.get(i).getRules();
            assertEquals(fileRules.size(), rules.size());
            for (int r = 0; r < rules.size(); r++) {
                // alerts, expressions and annotations pass through untouched ({{ $labels.x }} is Prometheus's, not Helm's)
                assertEquals(fileRules.get(r).get("alert"), rules.get(r).getAlert());
                assertEquals(fileRules.get(r).get("expr"), rules.get(r).getExpr().getStrVal());
                assertEquals(fileRules.get(r).get("annotations"), rules.get(r).getAnnotations());
            }
        }
        assertTrue(groups.stream().flatMap(g -> g.getRules().stream()).anyMatch(r -> "RailyardFewPods".equals(r.getAlert())),
                "additionalGroups are appended");

        // every railyard_* series the rules query is one the gateway exports
        Matcher metric = Pattern.compile("railyard_[a-z_]+").matcher(Files.readString(chartRules));
        Set<String> unknown = new TreeSet<>();
        while (metric.find()) {
            String name = metric.group().replaceAll("_(bucket|count|sum)$", "");
            if (!Meters.PROMETHEUS_NAMES.contains(name)) {
                unknown.add(metric.group());
            }
        }
        assertEquals(Set.of(), unknown, "metrics the gateway does not export");

        // the chart carries a copy of deploy/prometheus/railyard-rules.yaml (Helm cannot read outside the chart)
        Path shared = HelmChart.projectDir().resolve("deploy/prometheus/railyard-rules.yaml");
        if (Files.exists(shared)) {
            assertEquals(HelmChart.yamlMap(shared), HelmChart.yamlMap(chartRules),
                    "helm/railyard/files/railyard-rules.yaml differs from deploy/prometheus/railyard-rules.yaml: copy it over");
        }
    }

    @Test
    void grafanaDashboardConfigMapCarriesTheDashboard() throws IOException {
        Path chartDashboard = HelmChart.chartDir().resolve("files/railyard-dashboard.json");
        ConfigMap dashboard = HelmChart.renderFull().all(ConfigMap.class).stream()
                .filter(cm -> "1".equals(cm.getMetadata().getLabels().get("grafana_dashboard"))).findFirst()
                .orElseThrow(() -> new AssertionError("no dashboard ConfigMap for the Grafana sidecar"));
        String json = dashboard.getData().get("railyard-dashboard.json");
        assertEquals(HelmChart.YAML.readTree(Files.readString(chartDashboard)), HelmChart.YAML.readTree(json), "the dashboard, unchanged");
        assertTrue(HelmChart.renderDefaults().all(ConfigMap.class).stream()
                .noneMatch(cm -> cm.getMetadata().getLabels().containsKey("grafana_dashboard")), "off by default");

        // the chart carries a copy of deploy/grafana/railyard-dashboard.json (Helm cannot read outside the chart)
        Path shared = HelmChart.projectDir().resolve("deploy/grafana/railyard-dashboard.json");
        if (Files.exists(shared)) {
            assertEquals(Files.readString(shared), Files.readString(chartDashboard),
                    "helm/railyard/files/railyard-dashboard.json differs from deploy/grafana/railyard-dashboard.json: copy it over");
        }
    }

    // ---------------------------------------------------------------- helpers

    static EnvVar env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name + " in " + container.getEnv().stream().map(EnvVar::getName).toList()));
    }

    static VolumeMount mount(Container container, String path) {
        return container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
    }

    static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    static void copyTree(Path from, Path to) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(from)) {
            paths = new ArrayList<>(walk.toList());
        }
        for (Path p : paths) {
            Path target = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(target);
            } else {
                Files.copy(p, target);
            }
        }
    }
}
