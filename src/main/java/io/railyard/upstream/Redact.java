package io.railyard.upstream;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strips what must not be shown from text that may embed upstream URLs (error messages, ejection reasons): provider
 * URLs carry API keys in their userinfo, path or query, so a URL is shown as scheme, host and port only, as
 * {@link Upstream#displayUrl()} shows the configured one.
 */
public final class Redact {

    private static final Pattern URL = Pattern.compile("(?i)\\b(?:https?|wss?)://[^\\s\"'<>,;)]+");

    private Redact() {
    }

    /** {@code text} with every URL in it cut down to scheme, host and port; null stays null. */
    public static String urls(String text) {
        if (text == null || text.indexOf("://") < 0) {
            return text;
        }
        Matcher m = URL.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(origin(m.group())));
        }
        return m.appendTail(out).toString();
    }

    /** Scheme, host and port of one URL; for something that does not parse, only its scheme. */
    static String origin(String url) {
        try {
            URI uri = URI.create(url);
            if (uri.getHost() != null) {
                return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
            }
        } catch (IllegalArgumentException e) {
            // Falls through: a fragment of a URL is shown as its scheme alone.
        }
        return url.substring(0, url.indexOf("://") + 3) + "…";
    }
}
