package io.railyard.config;

import io.smallrye.config.WithName;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The names {@link RailyardConfig} maps, read from the interface itself as SmallRye Config reads it (a getter's
 * kebab-case name unless {@link WithName} says otherwise; a {@code Map} of groups takes any key), and the nearest
 * of them to a name it does not map, for "did you mean" hints.
 */
public final class ConfigKeys {

    public static final String PREFIX = "railyard";

    private ConfigKeys() {
    }

    /**
     * The name with its first segment that the mapping does not know replaced by the closest one it knows there
     * (same letters ignoring case and dashes, or a small edit away); empty when the name is known, not under
     * {@code railyard.}, or nothing is close.
     */
    public static Optional<String> suggestion(String name) {
        List<String> segments = segments(name);
        if (segments.size() < 2 || !segments.get(0).equals(PREFIX)) {
            return Optional.empty();
        }
        Class<?> group = RailyardConfig.class;
        for (int i = 1; i < segments.size(); i++) {
            String segment = segments.get(i);
            Method property = property(group, segment);
            if (property == null) {
                int at = i;
                return closest(segment, names(group)).map(best -> {
                    List<String> fixed = new ArrayList<>(segments);
                    fixed.set(at, best);
                    return String.join(".", fixed);
                });
            }
            Type type = unwrapOptional(property.getGenericReturnType());
            Class<?> raw = rawClass(type);
            if (raw == Map.class) {
                Class<?> values = rawClass(((ParameterizedType) type).getActualTypeArguments()[1]);
                if (!isGroup(values)) {
                    return Optional.empty(); // a map of plain values (headers, costs): any key is valid
                }
                group = values;
                i++; // the map's own key
            } else if (isGroup(raw)) {
                group = raw;
            } else {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The property of {@code group} that {@code key} names, or null. */
    public static Method property(Class<?> group, String key) {
        for (Method m : group.getMethods()) {
            if (m.getParameterCount() == 0 && !m.isDefault() && !m.isSynthetic() && name(m).equals(key)) {
                return m;
            }
        }
        return null;
    }

    /** A getter's configuration name: {@link WithName}, or its name in kebab-case. */
    public static String name(Method getter) {
        WithName named = getter.getAnnotation(WithName.class);
        return named != null ? named.value() : kebab(getter.getName());
    }

    public static String kebab(String camel) {
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

    /** Whether a property's type is one of our nested configuration groups. */
    public static boolean isGroup(Class<?> type) {
        return type.isInterface() && type.getName().startsWith("io.railyard");
    }

    public static Type unwrapOptional(Type type) {
        return rawClass(type) == Optional.class ? ((ParameterizedType) type).getActualTypeArguments()[0] : type;
    }

    public static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class;
    }

    private static List<String> names(Class<?> group) {
        List<String> names = new ArrayList<>();
        for (Method m : group.getMethods()) {
            if (m.getParameterCount() == 0 && !m.isDefault() && !m.isSynthetic()) {
                names.add(name(m));
            }
        }
        return names;
    }

    static Optional<String> closest(String wrong, List<String> known) {
        String w = normal(wrong);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(w, normal(k));
            if (d < bestDistance || (d == bestDistance && best != null && k.compareTo(best) < 0)) {
                best = k;
                bestDistance = d;
            }
        }
        // Close means a typo or two, not another word: at most one edit per four letters.
        return best != null && bestDistance <= Math.max(1, w.length() / 4) ? Optional.of(best) : Optional.empty();
    }

    private static String normal(String key) {
        return key.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    /** Edits between two names, a swap of neighbouring letters counting as one (the commonest typo). */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1));
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** A property name's segments; a quoted segment ({@code "my.net"}) keeps its dots. */
    static List<String> segments(String name) {
        List<String> out = new ArrayList<>();
        StringBuilder segment = new StringBuilder();
        boolean quoted = false;
        for (char c : name.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                segment.append(c);
            } else if (c == '.' && !quoted) {
                out.add(segment.toString());
                segment.setLength(0);
            } else {
                segment.append(c);
            }
        }
        out.add(segment.toString());
        return out;
    }
}
