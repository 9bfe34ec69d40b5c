package io.railyard.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Guards which logs a {@code logs} subscription filter lets through, and which filters it refuses, as geth does. */
class LogFilterTest {

    static final String A = "0x" + "a1".repeat(20);
    static final String B = "0x" + "b2".repeat(20);
    static final String C = "0x" + "c3".repeat(20);
    static final String T1 = "0x" + "1e".repeat(32);
    static final String T2 = "0x" + "2f".repeat(32);
    static final String T3 = "0x" + "3d".repeat(32);

    static JsonObject log(String address, String... topics) {
        return new JsonObject().put("address", address).put("topics", new JsonArray(List.of((Object[]) topics)));
    }

    static JsonObject filter(Object address, Object topics) {
        JsonObject filter = new JsonObject();
        if (address != null) {
            filter.put("address", address);
        }
        if (topics != null) {
            filter.put("topics", topics);
        }
        return filter;
    }

    static JsonObject topics(Object... positions) {
        return filter(null, list(positions));
    }

    /** A JSON list that may hold nulls (List.of may not). */
    static JsonArray list(Object... items) {
        JsonArray array = new JsonArray();
        for (Object item : items) {
            array.add(item);
        }
        return array;
    }

    static String upper(String hex) {
        return "0x" + hex.substring(2).toUpperCase(Locale.ROOT);
    }

    static Arguments match(String name, Object filter, JsonObject log, boolean expected) {
        return Arguments.of(name, filter, log, expected);
    }

    static Stream<Arguments> matching() {
        return Stream.of(
                match("no filter: any log", null, log(A, T1), true),
                match("no filter: a log without topics", null, log(B), true),
                match("empty filter: any log", new JsonObject(), log(C, T1, T2), true),
                match("empty address list: any address", filter(list(), null), log(C), true),
                match("empty topic list: any topics", topics(), log(A, T1), true),

                match("one address: that address", filter(A, null), log(A, T1), true),
                match("one address: another one", filter(A, null), log(B, T1), false),
                match("one address: a log without an address", filter(A, null), new JsonObject(), false),
                match("address upper-case in the filter", filter(upper(A), null), log(A), true),
                match("address upper-case in the log", filter(A, null), log(upper(A)), true),
                match("address list: the second one", filter(list(A, B), null), log(B), true),
                match("address list: none of them", filter(list(A, B), null), log(C), false),
                match("address list: case-insensitive", filter(list(upper(B)), null), log(B), true),

                match("null position: any first topic", topics((Object) null), log(A, T3), true),
                match("null position: still needs a topic there", topics((Object) null), log(A), false),
                match("one topic: that topic", topics(T1), log(A, T1), true),
                match("one topic: another one", topics(T1), log(A, T2), false),
                match("one topic: case-insensitive", topics(upper(T1)), log(A, T1), true),
                match("one topic: the log's upper-case", topics(T1), log(A, upper(T1)), true),
                match("second position only", topics(null, T2), log(A, T3, T2), true),
                match("second position only: another one", topics(null, T2), log(A, T2, T3), false),
                match("OR-list: the second alternative", topics(list(T1, T2)), log(A, T2), true),
                match("OR-list: none of them", topics(list(T2, T3)), log(A, T1), false),
                match("null inside an OR-list is a wildcard", topics(list(T2, null)), log(A, T1), true),
                match("null first inside an OR-list is a wildcard", topics(list(null, T2)), log(A, T3), true),
                match("more topics than positions", topics(T1), log(A, T1, T2, T3), true),
                match("fewer topics than positions", topics(T1, T2), log(A, T1), false),
                match("fewer topics than wildcard positions", topics(null, null, null), log(A, T1, T2), false),

                match("address and topic both match", filter(A, list(T1)), log(A, T1), true),
                match("address matches, topic does not", filter(A, list(T1)), log(A, T2), false),
                match("topic matches, address does not", filter(A, list(T1)), log(B, T1), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matching")
    void matches(String name, Object filter, JsonObject log, boolean expected) throws LogFilter.Invalid {
        assertEquals(expected, LogFilter.parse(filter).matches(log));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("a short address", filter(A.substring(0, 41), null)),
                Arguments.of("a long address", filter(A + "a", null)),
                Arguments.of("an address of non-hex digits", filter("0x" + "g".repeat(40), null)),
                Arguments.of("an address of Arabic-Indic digits (not ASCII hex)", filter("0x" + "\u0661".repeat(40), null)),
                Arguments.of("an address of fullwidth letters (not ASCII hex)", filter("0x" + "\uFF21".repeat(40), null)),
                Arguments.of("an address without 0x", filter("00" + A.substring(2), null)),
                Arguments.of("a number as address", filter(42, null)),
                Arguments.of("a number in an address list", filter(list(A, 42), null)),
                Arguments.of("an object as address", filter(new JsonObject(), null)),
                Arguments.of("a short address in a list", filter(list(A, B.substring(0, 40)), null)),
                Arguments.of("fromBlock", filter(A, null).put("fromBlock", "0x1")),
                Arguments.of("toBlock", new JsonObject().put("toBlock", "latest")),
                Arguments.of("blockHash", new JsonObject().put("blockHash", T1)),
                Arguments.of("fromBlock even when null", new JsonObject().put("fromBlock", null)),
                Arguments.of("more than 4 topic positions", topics(T1, null, null, null, null)),
                Arguments.of("topics not a list", filter(null, T1)),
                Arguments.of("topics an object", filter(null, new JsonObject())),
                Arguments.of("a short topic", topics(T1.substring(0, 65))),
                Arguments.of("a non-hex topic", topics("0x" + "z".repeat(64))),
                Arguments.of("a short topic in an OR-list", topics(list(T1, T2.substring(0, 10)))),
                Arguments.of("a number in an OR-list", topics(list(T1, 7))),
                Arguments.of("a number as topic", topics(7)),
                Arguments.of("an object as topic", topics(new JsonObject())),
                Arguments.of("a filter that is a string", A),
                Arguments.of("a filter that is a list", list(A)));
    }

    @ParameterizedTest(name = "refuses {0}")
    @MethodSource("invalid")
    void refuses(String name, Object filter) {
        assertThrows(LogFilter.Invalid.class, () -> LogFilter.parse(filter));
    }

    @Test
    void fourTopicPositionsAreTheMostAndAreAccepted() throws LogFilter.Invalid {
        LogFilter four = LogFilter.parse(topics(T1, null, null, T2));
        assertEquals(4, four.topics().size());
        assertEquals(true, four.matches(log(A, T1, T3, T3, T2)));
    }

    @Test
    void parsingLowerCasesAndKeepsWildcardsAsEmptySets() throws LogFilter.Invalid {
        LogFilter parsed = LogFilter.parse(filter(list(upper(A), B), list(upper(T1), null, list(T2, T3), list(T2, null))));
        assertEquals(new LogFilter(Set.of(A, B), List.of(Set.of(T1), Set.of(), Set.of(T2, T3), Set.of())), parsed);
    }

    @Test
    void noFilterIsTheAnyFilter() throws LogFilter.Invalid {
        assertEquals(LogFilter.ANY, LogFilter.parse(null));
    }
}
