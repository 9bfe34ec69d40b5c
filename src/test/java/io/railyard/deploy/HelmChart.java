package io.railyard.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Helm chart under {@code helm/railyard}, rendered with helm-java (Helm's own Go code, no helm binary) and parsed
 * into typed fabric8 Kubernetes objects.
 */
final class HelmChart {

    static final String RELEASE = "rpc";
    static final String NAMESPACE = "eth";
    /** helm-java has no cluster to ask; Chart.yaml requires at least 1.25. */
    static final String KUBE_VERSION = "1.31.0";

    static final KubernetesSerialization KUBE = new KubernetesSerialization();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private HelmChart() {
    }

    /** The project's root directory (the one holding pom.xml and helm/), wherever the tests run from. */
    static Path projectDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("helm/railyard"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("no project directory with helm/railyard above " + Path.of("").toAbsolutePath());
    }

    static Path chartDir() {
        return projectDir().resolve("helm/railyard");
    }

    static Path fullValues() {
        return chartDir().resolve("ci/full-values.yaml");
    }

    /** One network with one node: the least a release must set, since the chart refuses to render without a network. */
    static Path minimalValues() {
        return chartDir().resolve("ci/minimal-values.yaml");
    }

    /** {@code helm template} of the chart with these values files (later files win) and {@code --set} pairs. */
    static Rendered render(List<Path> valuesFiles, Map<String, Object> set) {
        return render(chartDir(), valuesFiles, set);
    }

    static Rendered render(Path chart, List<Path> valuesFiles, Map<String, Object> set) {
        TemplateCommand template = new Helm(chart).template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (Path values : valuesFiles) {
            template = template.withValuesFile(values);
        }
        for (Map.Entry<String, Object> e : set.entrySet()) {
            template = template.set(e.getKey(), e.getValue());
        }
        return new Rendered(template.call());
    }

    /** The chart's defaults with the one thing every release sets, a network ({@link #minimalValues()}). */
    static Rendered renderDefaults() {
        return render(List.of(minimalValues()), Map.of());
    }

    static Rendered renderFull() {
        return render(List.of(fullValues()), Map.of());
    }

    /** Parses one YAML document into a map. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> yamlMap(String yaml) {
        try {
            Map<String, Object> map = YAML.readValue(yaml, Map.class);
            return map == null ? Map.of() : map;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> yamlMap(Path file) {
        try {
            return yamlMap(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Follows a path of map keys; null when a step is missing. */
    @SuppressWarnings("unchecked")
    static <T> T at(Map<String, Object> map, String... path) {
        Object node = map;
        for (String key : path) {
            if (!(node instanceof Map<?, ?> m)) {
                return null;
            }
            node = m.get(key);
        }
        return (T) node;
    }

    /** Every document of a rendered chart, as text and as its typed Kubernetes object. */
    static final class Rendered {
        final String text;
        final List<String> documents = new ArrayList<>();
        final List<HasMetadata> objects = new ArrayList<>();

        Rendered(String text) {
            this.text = text;
            for (String doc : text.split("(?m)^---\\s*$")) {
                if (doc.lines().allMatch(line -> line.isBlank() || line.stripLeading().startsWith("#"))) {
                    continue;
                }
                documents.add(doc);
                objects.add(parse(doc));
            }
        }

        /** Parses a manifest as the fabric8 class of its apiVersion/kind; fails on a kind fabric8 does not know. */
        static HasMetadata parse(String doc) {
            Object parsed = KUBE.unmarshal(doc);
            if (!(parsed instanceof HasMetadata object) || parsed instanceof GenericKubernetesResource) {
                throw new AssertionError("not a known Kubernetes kind: " + parsed.getClass().getName() + "\n" + doc);
            }
            return object;
        }

        List<String> kinds() {
            return objects.stream().map(HasMetadata::getKind).sorted().toList();
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> Optional<T> find(Class<T> type) {
            List<T> found = all(type);
            if (found.size() > 1) {
                throw new AssertionError("more than one " + type.getSimpleName());
            }
            return found.stream().findFirst();
        }

        <T extends HasMetadata> T one(Class<T> type) {
            return find(type).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " rendered; kinds: " + kinds()));
        }

        Deployment deployment() {
            return one(Deployment.class);
        }

        /** The Service clients use (component gateway), as opposed to the management one. */
        io.fabric8.kubernetes.api.model.Service rpcService() {
            return service("gateway").orElseThrow(() -> new AssertionError("no RPC Service rendered; kinds: " + kinds()));
        }

        /** The cluster-internal Service of the management port, when rendered. */
        Optional<io.fabric8.kubernetes.api.model.Service> managementService() {
            return service("management");
        }

        private Optional<io.fabric8.kubernetes.api.model.Service> service(String component) {
            List<io.fabric8.kubernetes.api.model.Service> found = all(io.fabric8.kubernetes.api.model.Service.class).stream()
                    .filter(s -> component.equals(s.getMetadata().getLabels().get("app.kubernetes.io/component"))).toList();
            if (found.size() > 1) {
                throw new AssertionError("more than one " + component + " Service");
            }
            return found.stream().findFirst();
        }

        /** The gateway's configuration ConfigMap (not the Grafana dashboard one). */
        ConfigMap gatewayConfigMap() {
            return all(ConfigMap.class).stream()
                    .filter(cm -> cm.getData() != null && cm.getData().containsKey("application.yaml"))
                    .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap with application.yaml"));
        }

        String applicationYaml() {
            return gatewayConfigMap().getData().get("application.yaml");
        }

        Map<String, Object> applicationConfig() {
            return yamlMap(applicationYaml());
        }
    }

    /**
     * Fields the YAML had but the Kubernetes model does not know (typos such as {@code readinesProbe}): fabric8 keeps
     * them in {@code additionalProperties} instead of failing, so walk the object and collect them.
     */
    static List<String> unknownFields(Object object) {
        List<String> found = new ArrayList<>();
        walk(object, object instanceof HasMetadata h ? h.getKind() : object.getClass().getSimpleName(), found);
        return found;
    }

    private static void walk(Object node, String path, List<String> found) {
        if (node == null) {
            return;
        }
        if (node instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                walk(item, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, found));
            return;
        }
        if (!(node instanceof KubernetesResource)) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            if (field.equals("additionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + extra.keySet());
                }
            } else {
                walk(value, path + "." + field, found);
            }
        }
    }

    /** Deep merge of YAML trees: maps merge key by key, everything else from {@code over} wins. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((k, v) -> {
            Object old = out.get(k);
            if (old instanceof Map<?, ?> oldMap && v instanceof Map<?, ?> newMap) {
                out.put(k, merge((Map<String, Object>) oldMap, (Map<String, Object>) newMap));
            } else {
                out.put(k, v);
            }
        });
        return out;
    }
}
