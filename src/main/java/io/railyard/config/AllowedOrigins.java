package io.railyard.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An {@code allowed-origins} list ({@code railyard.cors.*}, per network, per API key) and the one rule for whether a
 * browser's {@code Origin} header is on it. Entries are {@code *} (any origin), exact origins
 * ({@code https://app.example}, {@code http://127.0.0.1:5173}), subdomain wildcards ({@code https://*.example.org}:
 * any depth of subdomain, never the apex itself, same scheme and port) or {@code null} (sandboxed frames and
 * {@code file:} pages; listed only on purpose). Scheme and host compare case-insensitively and a default port
 * ({@code :80} for http, {@code :443} for https) is the same as none. An {@code Origin} header that is not a
 * well-formed {@code scheme://host[:port]} (control characters, a path, kilobytes of text) is never allowed, not
 * even by {@code *}. Lives beside the configuration because it is the type of a configured value; it reads no
 * configuration and holds no state beyond the parsed list.
 */
public final class AllowedOrigins {

    /** An origin is a scheme, a host of at most 253 characters and a port; anything longer is not one. */
    public static final int MAX_ORIGIN_LENGTH = 300;

    public static final String ANY = "*";
    /** The {@code Origin} a browser sends for opaque origins (sandboxed iframes, {@code file:} pages, some redirects). */
    public static final String NULL_ORIGIN = "null";

    private final boolean any;
    private final Set<String> exact;
    private final List<Wildcard> wildcards;

    /** {@code scheme://*.suffix[:port]}: hosts ending in {@code "." + suffix}. */
    private record Wildcard(String scheme, String dotSuffix, int port) {
    }

    /** A parsed origin; {@code port} is -1 for the scheme's default. */
    private record Origin(String scheme, String host, int port) {
        String text() {
            return port < 0 ? scheme + "://" + host : scheme + "://" + host + ":" + port;
        }
    }

    private AllowedOrigins(boolean any, Set<String> exact, List<Wildcard> wildcards) {
        this.any = any;
        this.exact = exact;
        this.wildcards = wildcards;
    }

    /**
     * The list of these entries.
     *
     * @throws IllegalArgumentException naming the first bad entry; {@link #problems} lists them all
     */
    public static AllowedOrigins of(List<String> entries) {
        List<String> problems = problems(entries);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.get(0));
        }
        boolean any = false;
        Set<String> exact = new HashSet<>();
        List<Wildcard> wildcards = new ArrayList<>();
        for (String raw : entries) {
            String entry = raw.trim();
            if (entry.equals(ANY)) {
                any = true;
            } else if (entry.equals(NULL_ORIGIN)) {
                exact.add(NULL_ORIGIN);
            } else if (isWildcard(entry)) {
                Origin pattern = parse(entry.replace("*.", ""));
                String scheme = pattern.scheme();
                String suffix = pattern.host();
                wildcards.add(new Wildcard(scheme, "." + suffix, pattern.port()));
            } else {
                exact.add(parse(entry).text());
            }
        }
        return new AllowedOrigins(any, Set.copyOf(exact), List.copyOf(wildcards));
    }

    /** What is wrong with a list, one line per bad entry (without the key; the caller names it); empty when fine. */
    public static List<String> problems(List<String> entries) {
        List<String> problems = new ArrayList<>();
        if (entries.isEmpty()) {
            problems.add("empty list: give '*' or at least one origin (scheme://host[:port])");
        }
        for (String raw : entries) {
            String entry = raw.trim();
            String problem = problem(entry);
            if (problem != null) {
                problems.add(problem);
            } else if (entry.equals(ANY) && entries.size() > 1) {
                problems.add("'*' allows every origin, so it must be the only entry (was " + entries + ")");
            }
        }
        return problems;
    }

    /** Why one entry is not an allowed origin, or null. */
    static String problem(String entry) {
        if (entry.isEmpty()) {
            return "empty entry: give '*' or an origin (scheme://host[:port])";
        }
        if (entry.equals(ANY) || entry.equals(NULL_ORIGIN)) {
            return null;
        }
        if (entry.length() > MAX_ORIGIN_LENGTH) {
            return "'" + entry.substring(0, 40) + "...' is longer than any origin (" + MAX_ORIGIN_LENGTH + " characters)";
        }
        if (isWildcard(entry)) {
            Origin base = parse(entry.replace("*.", ""));
            if (base == null) {
                return "'" + entry + "' is not an origin pattern (scheme://*.domain[:port], e.g. https://*.example.org)";
            }
            if (base.host().indexOf('.') < 0 || base.host().startsWith("[")) {
                return "'" + entry + "' is too broad: a wildcard needs a domain of at least two labels after '*.' (https://*.example.org)";
            }
            return null;
        }
        if (entry.indexOf('*') >= 0) {
            return "'" + entry + "' has a bad wildcard: only a whole leftmost label may be '*' (https://*.example.org)";
        }
        if (parse(entry) == null) {
            return "'" + entry + "' is not an origin: scheme://host[:port], without a path or a trailing '/'"
                    + " (e.g. https://app.example or http://127.0.0.1:5173)";
        }
        return null;
    }

    /** {@code scheme://*.} followed by a host without further wildcards. */
    private static boolean isWildcard(String entry) {
        int at = entry.indexOf("://*.");
        return at > 0 && entry.indexOf('*') == at + 3 && entry.indexOf('*', at + 4) < 0;
    }

    /** Whether every origin is allowed ({@code *}). */
    public boolean allowsAny() {
        return any;
    }

    /** Whether a browser's {@code Origin} header, exactly as received, is on this list. */
    public boolean allows(String origin) {
        if (origin == null || origin.isEmpty() || origin.length() > MAX_ORIGIN_LENGTH) {
            return false;
        }
        // Browsers send origins lower-case without a default port, so the common case is one set lookup, no parse:
        // a configured entry is well-formed, so an origin equal to one is too.
        if (exact.contains(origin)) {
            return true;
        }
        if (origin.equals(NULL_ORIGIN)) {
            return any;
        }
        Origin parsed = parse(origin);
        if (parsed == null) {
            return false;
        }
        if (any || exact.contains(parsed.text())) {
            return true;
        }
        for (Wildcard w : wildcards) {
            String host = parsed.host();
            if (w.port() == parsed.port() && w.scheme().equals(parsed.scheme())
                    && host.length() > w.dotSuffix().length() && host.endsWith(w.dotSuffix())) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code scheme://host[:port]}, lower-cased, with the scheme's default port dropped; null when the text is not
     * exactly that. Scanned by hand rather than with {@link java.net.URI}, which accepts paths, user info and
     * characters no browser puts in an origin.
     */
    private static Origin parse(String text) {
        int n = text.length();
        if (n == 0 || n > MAX_ORIGIN_LENGTH) {
            return null;
        }
        int i = 0;
        if (!isLetter(text.charAt(0))) {
            return null;
        }
        while (i < n && (isLetter(text.charAt(i)) || isDigit(text.charAt(i)) || "+.-".indexOf(text.charAt(i)) >= 0)) {
            i++;
        }
        if (!text.startsWith("://", i)) {
            return null;
        }
        String scheme = text.substring(0, i).toLowerCase(Locale.ROOT);
        int hostStart = i + 3;
        int hostEnd;
        if (hostStart < n && text.charAt(hostStart) == '[') {
            int close = text.indexOf(']', hostStart);
            if (close < 0 || close == hostStart + 1) {
                return null;
            }
            for (int j = hostStart + 1; j < close; j++) {
                char c = text.charAt(j);
                if (!(isHex(c) || c == ':' || c == '.')) {
                    return null;
                }
            }
            hostEnd = close + 1;
        } else {
            int j = hostStart;
            char previous = '.';
            while (j < n && text.charAt(j) != ':') {
                char c = text.charAt(j);
                if (!(isLetter(c) || isDigit(c) || c == '-' || c == '_' || c == '.') || (c == '.' && previous == '.')) {
                    return null;
                }
                previous = c;
                j++;
            }
            if (j == hostStart || previous == '.') {
                return null;
            }
            hostEnd = j;
        }
        String host = text.substring(hostStart, hostEnd).toLowerCase(Locale.ROOT);
        int port = -1;
        if (hostEnd < n) {
            if (text.charAt(hostEnd) != ':' || hostEnd + 1 == n || n - hostEnd - 1 > 5) {
                return null;
            }
            int value = 0;
            for (int j = hostEnd + 1; j < n; j++) {
                char c = text.charAt(j);
                if (!isDigit(c)) {
                    return null;
                }
                value = value * 10 + (c - '0');
            }
            if (value < 1 || value > 65535) {
                return null;
            }
            port = value;
        }
        if ((port == 80 && scheme.equals("http")) || (port == 443 && scheme.equals("https"))) {
            port = -1;
        }
        return new Origin(scheme, host, port);
    }

    private static boolean isLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHex(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    @Override
    public String toString() {
        List<String> all = new ArrayList<>();
        if (any) {
            all.add(ANY);
        }
        all.addAll(exact);
        wildcards.forEach(w -> all.add(w.scheme() + "://*" + w.dotSuffix() + (w.port() < 0 ? "" : ":" + w.port())));
        return all.toString();
    }
}
