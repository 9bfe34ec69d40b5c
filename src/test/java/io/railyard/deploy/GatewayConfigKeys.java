package io.railyard.deploy;

import io.railyard.config.ConfigKeys;
import io.railyard.config.RailyardConfig;
import io.smallrye.config.WithDefault;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
            Method method = ConfigKeys.property(group, entry.getKey());
            if (method == null) {
                unknown.add(key);
                continue;
            }
            Type type = ConfigKeys.unwrapOptional(method.getGenericReturnType());
            Class<?> raw = ConfigKeys.rawClass(type);
            Object value = entry.getValue();
            if (raw == Map.class) {
                Type valueType = ((ParameterizedType) type).getActualTypeArguments()[1];
                Class<?> valueClass = ConfigKeys.rawClass(valueType);
                if (ConfigKeys.isGroup(valueClass) && value instanceof Map<?, ?> named) {
                    named.forEach((name, sub) -> {
                        if (sub instanceof Map<?, ?> subTree) {
                            check((Map<String, Object>) subTree, valueClass, key + "." + name, unknown, differences);
                        }
                    });
                }
            } else if (ConfigKeys.isGroup(raw)) {
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
}
