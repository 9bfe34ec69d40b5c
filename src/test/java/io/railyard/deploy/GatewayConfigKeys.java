package io.railyard.deploy;

import io.railyard.config.RailyardConfig;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a configuration tree (the {@code railyard:} part of an application.yaml the chart or the plain manifests
 * carry) against the gateway's {@link RailyardConfig} mapping, the way SmallRye Config will at startup: a key the
 * mapping does not know stops the gateway ("does not map to any root"), so the chart must render none.
 */
final class GatewayConfigKeys {

    private GatewayConfigKeys() {
    }

    /** Keys under {@code railyard} that the mapping does not know (planned ones excepted while unmapped). */
    static List<String> unknownKeys(Map<String, Object> railyard) {
        List<String> unknown = new ArrayList<>();
        check(railyard, RailyardConfig.class, "railyard", unknown, null);
        return unknown;
    }

    /** Rendered values that differ from the gateway's own {@code @WithDefault}, as "key: rendered != default". */
    static List<String> differencesFromDefaults(Map<String, Object> railyard) {
        List<String> differences = new ArrayList<>();
        check(railyard, RailyardConfig.class, "railyard", new ArrayList<>(), differences);
        return differences;
    }

    @SuppressWarnings("unchecked")
    private static void check(Map<String, Object> tree, Class<?> group, String path,
                              List<String> unknown, List<String> differences) {
        for (Map.Entry<String, Object> entry : tree.entrySet()) {
            String key = path + "." + entry.getKey();
            Method method = property(group, entry.getKey());
            if (method == null) {
                unknown.add(key);
                continue;
            }
            Type type = method.getGenericReturnType();
            Class<?> raw = rawClass(type);
            if (raw == Optional.class) {
                type = ((ParameterizedType) type).getActualTypeArguments()[0];
                raw = rawClass(type);
            }
            Object value = entry.getValue();
            if (raw == Map.class) {
                Type valueType = ((ParameterizedType) type).getActualTypeArguments()[1];
                Class<?> valueClass = rawClass(valueType);
                if (valueClass.isInterface() && valueClass.getName().startsWith("io.railyard") && value instanceof Map<?, ?> named) {
                    named.forEach((name, sub) -> {
                        if (sub instanceof Map<?, ?> subTree) {
                            check((Map<String, Object>) subTree, valueClass, key + "." + name, unknown, differences);
                        }
                    });
                }
            } else if (raw.isInterface() && raw.getName().startsWith("io.railyard")) {
                if (value instanceof Map<?, ?> subTree) {
                    check((Map<String, Object>) subTree, raw, key, unknown, differences);
                } else {
                    unknown.add(key + " (a group, not a value)");
                }
            } else if (differences != null) {
                WithDefault withDefault = method.getAnnotation(WithDefault.class);
                if (withDefault != null && !withDefault.value().equals(String.valueOf(value))) {
                    differences.add(key + ": " + value + " != " + withDefault.value());
                }
            }
        }
    }

    private static Method property(Class<?> group, String kebab) {
        for (Method m : group.getMethods()) {
            if (m.getParameterCount() != 0 || m.isDefault()) {
                continue;
            }
            WithName name = m.getAnnotation(WithName.class);
            if ((name != null ? name.value() : kebab(m.getName())).equals(kebab)) {
                return m;
            }
        }
        return null;
    }

    static String kebab(String camel) {
        StringBuilder out = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('-').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class;
    }
}
