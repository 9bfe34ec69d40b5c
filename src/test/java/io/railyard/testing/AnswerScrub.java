package io.railyard.testing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an answer to an anonymous client must not carry (docs/errors.md): no IP address, no port of an upstream, no
 * URL, no Java exception; and the request ids of the gateway's own errors, to look up in the log.
 */
public final class AnswerScrub {

    private static final Pattern IPV4 = Pattern.compile("(?<![\\d.])\\d{1,3}(?:\\.\\d{1,3}){3}(?![\\d.])");
    private static final Pattern REQUEST_ID = Pattern.compile("\"requestId\":\"([0-9a-f]+)\"");
    private static final List<String> FORBIDDEN = List.of("Exception", "http://", "https://", "localhost", "0:0:0:0", "[::1]",
            "\tat ", "java.", "io.vertx", "io.netty");

    private AnswerScrub() {
    }

    /** Fails when {@code answer} holds an internal: an IPv4 address, one of {@code upstreamPorts}, a URL, an exception. */
    public static void assertNoInternals(String where, String answer, Collection<Integer> upstreamPorts) {
        Matcher ip = IPV4.matcher(answer);
        if (ip.find()) {
            throw new AssertionError(where + ": the answer names an IP address (" + ip.group() + "): " + answer);
        }
        for (String word : FORBIDDEN) {
            assertFalse(answer.contains(word), where + ": the answer holds '" + word + "': " + answer);
        }
        for (int port : upstreamPorts) {
            assertFalse(Pattern.compile("(?<!\\d)" + port + "(?!\\d)").matcher(answer).find(),
                    where + ": the answer names upstream port " + port + ": " + answer);
        }
    }

    /** Every {@code data.requestId} in the answer, in order (a batch repeats its one id). */
    public static List<String> requestIds(String answer) {
        List<String> ids = new ArrayList<>();
        Matcher m = REQUEST_ID.matcher(answer);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    /** Fails unless every request id of the answer appears in one of the captured log lines. */
    public static void assertRequestIdsLogged(String where, String answer, List<String> logLines) {
        for (String id : requestIds(answer)) {
            assertTrue(logLines.stream().anyMatch(line -> line != null && line.contains(id)),
                    where + ": request id " + id + " is in no log line; answer " + answer);
        }
    }
}
