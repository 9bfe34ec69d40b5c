package io.railyard.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The origin rule of every {@code allowed-origins} list: what a browser's {@code Origin} header must be to pass. */
class AllowedOriginsTest {

    private static AllowedOrigins list(String... entries) {
        return AllowedOrigins.of(List.of(entries));
    }

    @Test
    void anExactOriginMatchesOnlyItself() {
        AllowedOrigins origins = list("https://app.example", "http://127.0.0.1:5173");
        assertTrue(origins.allows("https://app.example"));
        assertTrue(origins.allows("http://127.0.0.1:5173"));
        assertFalse(origins.allows("https://app.example.org"));
        assertFalse(origins.allows("https://evil-app.example"));
        assertFalse(origins.allows("https://sub.app.example"), "an exact entry allows no subdomain");
        assertFalse(origins.allowsAny());
    }

    @Test
    void schemeAndPortMustMatchAndADefaultPortIsTheSameAsNone() {
        AllowedOrigins origins = list("https://app.example", "http://127.0.0.1:5173");
        assertFalse(origins.allows("http://app.example"), "another scheme is another origin");
        assertFalse(origins.allows("https://app.example:8443"), "another port is another origin");
        assertFalse(origins.allows("http://127.0.0.1:5174"));
        assertFalse(origins.allows("http://127.0.0.1"));
        assertTrue(origins.allows("https://app.example:443"), "443 is https's default");
        assertTrue(list("http://localhost:80").allows("http://localhost"), "80 is http's default");
        assertFalse(list("http://localhost:443").allows("http://localhost"), "443 is no default for http");
    }

    @Test
    void schemeAndHostCompareCaseInsensitively() {
        assertTrue(list("https://App.Example").allows("https://app.example"));
        assertTrue(list("https://app.example").allows("HTTPS://APP.EXAMPLE"));
        assertTrue(list("https://*.Example.org").allows("https://Wallet.EXAMPLE.org"));
    }

    @Test
    void starAllowsEveryWellFormedOrigin() {
        AllowedOrigins any = list("*");
        assertTrue(any.allowsAny());
        assertTrue(any.allows("https://anything.example"));
        assertTrue(any.allows("http://[::1]:8080"));
        assertTrue(any.allows("chrome-extension://abcdefghijklmnop"));
        assertTrue(any.allows("null"), "an opaque origin is any origin too; '*' is what it gets back");
    }

    @Test
    void aWildcardAllowsSubdomainsButNotTheApexNorLookalikes() {
        AllowedOrigins origins = list("https://*.example.org");
        assertTrue(origins.allows("https://app.example.org"));
        assertTrue(origins.allows("https://a.b.example.org"), "any depth of subdomain");
        assertFalse(origins.allows("https://example.org"), "not the apex unless it is listed");
        assertFalse(origins.allows("https://evil.example.org.attacker.com"));
        assertFalse(origins.allows("https://evilexample.org"));
        assertFalse(origins.allows("https://.example.org"));
        assertFalse(origins.allows("http://app.example.org"), "the scheme is part of the pattern");
        assertFalse(origins.allows("https://app.example.org:8443"), "so is the port");
        assertTrue(list("https://*.example.org:8443").allows("https://app.example.org:8443"));
        AllowedOrigins withApex = list("https://*.example.org", "https://example.org");
        assertTrue(withApex.allows("https://example.org"));
    }

    @Test
    void theNullOriginIsAllowedOnlyWhenListed() {
        assertFalse(list("https://app.example").allows("null"));
        assertFalse(list("https://*.example.org").allows("null"));
        assertTrue(list("https://app.example", "null").allows("null"));
        assertFalse(list("null").allows("https://app.example"));
    }

    @Test
    void hostileOriginHeadersAreRefusedEvenByStar() {
        AllowedOrigins any = list("*");
        AllowedOrigins exact = list("https://app.example");
        for (String hostile : List.of(
                "https://app.example\r\nSet-Cookie: a=b",
                "https://app.example\n",
                "https://app.example\r",
                "https://app.example\u0000",
                "https://app.example/",
                "https://app.example/path",
                "https://user@app.example",
                "https://app.example:0",
                "https://app.example:65536",
                "https://app.example:",
                "https://app.example:443x",
                "https://app..example",
                "https://app.example.",
                "https://",
                "://app.example",
                "app.example",
                "https://app.example ",
                " https://app.example",
                "https://[::1",
                "https://[]",
                "",
                "https://" + "a".repeat(10 * 1024) + ".example",
                "https://app.example" + "\t".repeat(10 * 1024))) {
            assertFalse(any.allows(hostile), "'*' refuses " + hostile.substring(0, Math.min(40, hostile.length())));
            assertFalse(exact.allows(hostile), "an exact list refuses " + hostile.substring(0, Math.min(40, hostile.length())));
        }
        assertFalse(any.allows(null));
        assertTrue(any.allows("https://" + "a".repeat(250) + ".ex"), "a long but real host name still passes");
    }

    @Test
    void everyBadEntryIsOneLine() {
        List<String> problems = AllowedOrigins.problems(List.of(
                "https://app.example/", "app.example", "https://*.*.example.org", "https://*example.org", "*.example.org",
                "https://*.org", "https://a.*.example.org", "https://ok.example", ""));
        assertEquals(List.of(
                "'https://app.example/' is not an origin: scheme://host[:port], without a path or a trailing '/' (e.g. https://app.example or http://127.0.0.1:5173)",
                "'app.example' is not an origin: scheme://host[:port], without a path or a trailing '/' (e.g. https://app.example or http://127.0.0.1:5173)",
                "'https://*.*.example.org' has a bad wildcard: only a whole leftmost label may be '*' (https://*.example.org)",
                "'https://*example.org' has a bad wildcard: only a whole leftmost label may be '*' (https://*.example.org)",
                "'*.example.org' has a bad wildcard: only a whole leftmost label may be '*' (https://*.example.org)",
                "'https://*.org' is too broad: a wildcard needs a domain of at least two labels after '*.' (https://*.example.org)",
                "'https://a.*.example.org' has a bad wildcard: only a whole leftmost label may be '*' (https://*.example.org)",
                "empty entry: give '*' or an origin (scheme://host[:port])"), problems);
        assertEquals(List.of("'*' allows every origin, so it must be the only entry (was [*, https://app.example])"),
                AllowedOrigins.problems(List.of("*", "https://app.example")));
        assertEquals(List.of(), AllowedOrigins.problems(List.of("https://app.example:443", "http://[::1]:8080", "null",
                "https://*.example.org:8443", " https://padded.example ")));
        assertThrows(IllegalArgumentException.class, () -> list("https://app.example/"));
    }
}
