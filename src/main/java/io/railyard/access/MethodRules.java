package io.railyard.access;

import java.util.List;
import java.util.Locale;

/**
 * Which methods a network or an API key refuses. Entries are method names, or prefixes ending in {@code _} or
 * {@code *} ({@code debug_}, {@code debug_*}). Matching ignores case, as nodes do.
 *
 * @param allow when non-null, only these may be called (an API key's allow list) — or, for a network, exceptions
 *              to its deny list
 * @param deny  these are refused
 */
public record MethodRules(List<String> allow, List<String> deny, boolean allowIsExclusive) {

    public static final MethodRules NONE = new MethodRules(null, List.of(), false);

    /** A network's rules: {@code deny} refused unless named in {@code exceptions}. */
    public static MethodRules network(List<String> deny, List<String> exceptions) {
        return new MethodRules(normalize(exceptions), normalize(deny), false);
    }

    /** An API key's rules: when {@code allow} is given nothing else may be called; {@code deny} on top. */
    public static MethodRules key(List<String> allow, List<String> deny) {
        return new MethodRules(normalize(allow), normalize(deny == null ? List.of() : deny), allow != null);
    }

    public boolean refuses(String method) {
        String m = method.toLowerCase(Locale.ROOT);
        boolean allowed = allow != null && matches(allow, m);
        if (allowIsExclusive && !allowed) {
            return true;
        }
        return matches(deny, m) && !(allow != null && !allowIsExclusive && allowed);
    }

    private static boolean matches(List<String> entries, String method) {
        for (String e : entries) {
            if (e.endsWith("_") ? method.startsWith(e) : e.equals(method)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> normalize(List<String> entries) {
        if (entries == null) {
            return null;
        }
        return entries.stream()
                .map(e -> e.trim().toLowerCase(Locale.ROOT))
                .map(e -> e.endsWith("*") ? e.substring(0, e.length() - 1) : e)
                .filter(e -> !e.isEmpty())
                .toList();
    }
}
