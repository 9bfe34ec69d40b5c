package io.railyard.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.railyard.deploy.HelmChart.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy/kubernetes (the kustomize base for teams without Helm) parses and runs the pod the way the chart does. */
class PlainManifestsTest {

    static final Path BASE = HelmChart.projectDir().resolve("deploy/kubernetes");

    @Test
    void everyManifestParsesAsItsKindWithoutUnknownFields() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(BASE)) {
            files = walk.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
                    .filter(p -> !p.getFileName().toString().equals("application.yaml"))
                    .sorted().toList();
        }
        assertFalse(files.isEmpty());
        for (Path file : files) {
            HasMetadata object = HelmChart.Rendered.parse(Files.readString(file));
            assertEquals(object.getKind(), object.getClass().getSimpleName(), file.toString());
            assertEquals(List.of(), HelmChart.unknownFields(object), file.toString());
        }
    }

    @Test
    void kustomizationNamesFilesThatExist() {
        Map<String, Object> kustomization = HelmChart.yamlMap(BASE.resolve("kustomization.yaml"));
        List<String> files = new ArrayList<>(at(kustomization, "resources"));
        List<Map<String, Object>> generators = at(kustomization, "configMapGenerator");
        generators.forEach(g -> files.addAll(at(g, "files")));
        assertTrue(files.contains("application.yaml"));
        for (String file : files) {
            assertTrue(Files.isRegularFile(BASE.resolve(file)), "kustomization.yaml names a missing file: " + file);
        }
        assertEquals("railyard-config", at(generators.get(0), "name"));
    }

    /** Same probes, ports, security and drain as the chart's defaults, so both ways of deploying behave alike. */
    @Test
    void podMatchesTheChartDefaults() throws IOException {
        Deployment plain = (Deployment) HelmChart.Rendered.parse(Files.readString(BASE.resolve("deployment.yaml")));
        Deployment chart = HelmChart.renderDefaults().deployment();
        PodSpec plainPod = plain.getSpec().getTemplate().getSpec();
        PodSpec chartPod = chart.getSpec().getTemplate().getSpec();
        Container p = plainPod.getContainers().get(0);
        Container c = chartPod.getContainers().get(0);
        assertEquals(c.getLivenessProbe(), p.getLivenessProbe());
        assertEquals(c.getReadinessProbe(), p.getReadinessProbe());
        assertEquals(c.getStartupProbe(), p.getStartupProbe());
        assertEquals(c.getPorts(), p.getPorts());
        assertEquals(c.getSecurityContext(), p.getSecurityContext());
        assertEquals(chartPod.getSecurityContext(), plainPod.getSecurityContext());
        assertEquals(chartPod.getTerminationGracePeriodSeconds(), plainPod.getTerminationGracePeriodSeconds());
        assertEquals(c.getLifecycle(), p.getLifecycle());
        assertEquals(c.getResources(), p.getResources());
        assertEquals(c.getVolumeMounts(), p.getVolumeMounts());
        assertEquals(HelmChartTest.env(c, "QUARKUS_CONFIG_LOCATIONS"), HelmChartTest.env(p, "QUARKUS_CONFIG_LOCATIONS"));
        assertEquals("railyard-config", HelmChartTest.volume(plainPod, "config").getConfigMap().getName());

        Service service = (Service) HelmChart.Rendered.parse(Files.readString(BASE.resolve("service.yaml")));
        assertEquals(plain.getSpec().getSelector().getMatchLabels(), service.getSpec().getSelector());
        assertEquals("http", service.getSpec().getPorts().get(0).getTargetPort().getStrVal());
        assertEquals(1, service.getSpec().getPorts().size(), "the RPC Service carries the RPC port only");
        assertEquals(HelmChartTest.env(c, "QUARKUS_MANAGEMENT_PORT").getValue(),
                Integer.toString(p.getPorts().get(1).getContainerPort()), "the image's default management port, as the chart sets it");
        assertEquals(chart.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"),
                plain.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"));
    }

    /** The optional ServiceMonitor scrapes the management port through the management Service, not the RPC one. */
    @Test
    void theServiceMonitorScrapesTheManagementService() throws IOException {
        Service rpc = (Service) HelmChart.Rendered.parse(Files.readString(BASE.resolve("service.yaml")));
        Service management = (Service) HelmChart.Rendered.parse(Files.readString(BASE.resolve("optional/service-management.yaml")));
        io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor monitor = (io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor)
                HelmChart.Rendered.parse(Files.readString(BASE.resolve("optional/servicemonitor.yaml")));
        Map<String, String> selector = monitor.getSpec().getSelector().getMatchLabels();
        assertTrue(management.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()));
        assertFalse(rpc.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()));
        assertEquals("management", monitor.getSpec().getEndpoints().get(0).getPort());
        assertEquals("management", management.getSpec().getPorts().get(0).getName());
        assertEquals("management", management.getSpec().getPorts().get(0).getTargetPort().getStrVal());
        assertEquals("ClusterIP", management.getSpec().getType());
        io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy policy = (io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy)
                HelmChart.Rendered.parse(Files.readString(BASE.resolve("optional/networkpolicy.yaml")));
        assertEquals("management", policy.getSpec().getIngress().get(1).getPorts().get(0).getPort().getStrVal());
        assertEquals(List.of("monitoring"), policy.getSpec().getIngress().get(1).getFrom().get(0).getNamespaceSelector()
                .getMatchExpressions().get(0).getValues());
    }

    @Test
    void exampleConfigurationUsesTheGatewaysKeys() {
        Map<String, Object> config = HelmChart.yamlMap(BASE.resolve("application.yaml"));
        Map<String, Object> railyard = at(config, "railyard");
        assertEquals(List.of(), GatewayConfigKeys.unknownKeys(railyard));
    }
}
