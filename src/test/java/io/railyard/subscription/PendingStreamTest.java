package io.railyard.subscription;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Guards newPendingTransactions served from one filter: each hash once, a lost filter made again, none left behind. */
class PendingStreamTest {

    /** Filters by id, each with the hashes it will report on its next poll. */
    static final class Filters implements PendingSource {
        int made;
        final List<String> uninstalled = new ArrayList<>();
        final Deque<List<String>> changes = new ArrayDeque<>();
        boolean lose;

        @Override
        public Future<String> newFilter() {
            made++;
            return Future.succeededFuture("0xf" + made);
        }

        @Override
        public Future<JsonArray> changes(String filterId) {
            if (lose) {
                lose = false;
                return Future.failedFuture("filter not found");
            }
            return Future.succeededFuture(new JsonArray(new ArrayList<Object>(changes.isEmpty() ? List.of() : changes.poll())));
        }

        @Override
        public void uninstall(String filterId) {
            uninstalled.add(filterId);
        }
    }

    static final class Recorder implements Subscriber {
        final List<String> got = new ArrayList<>();

        @Override
        public SubscriptionKind kind() {
            return SubscriptionKind.NEW_PENDING_TRANSACTIONS;
        }

        @Override
        public LogFilter filter() {
            return null;
        }

        @Override
        public void deliver(Notification notification) {
            got.add(notification.json());
        }

        @Override
        public void end(String reason) {
        }
    }

    Filters filters;
    PendingStream stream;

    @BeforeEach
    void stream() {
        filters = new Filters();
        stream = new PendingStream("testnet", filters);
    }

    @Test
    void oneFilterServesEverySubscriberAndEachHashOnce() {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        stream.add(a);
        stream.add(b);
        stream.advance();
        filters.changes.add(List.of("0xaa", "0xbb"));
        filters.changes.add(List.of("0xbb", "0xcc"));
        stream.advance();
        stream.advance();
        assertEquals(1, filters.made);
        assertEquals(List.of("\"0xaa\"", "\"0xbb\"", "\"0xcc\""), a.got);
        assertEquals(a.got, b.got);
    }

    @Test
    void aLostFilterIsMadeAgainAndHashesSeenBeforeAreNotRepeated() {
        Recorder a = new Recorder();
        stream.add(a);
        stream.advance();
        filters.changes.add(List.of("0xaa"));
        stream.advance();
        filters.lose = true;
        stream.advance();
        stream.advance();
        // The new filter, on another node, reports what the first already did, and something new.
        filters.changes.add(List.of("0xAA", "0xdd"));
        stream.advance();
        assertEquals(2, filters.made);
        assertEquals(List.of("\"0xaa\"", "\"0xdd\""), a.got);
    }

    @Test
    void theFilterIsRemovedWhenNobodyFollows() {
        Recorder a = new Recorder();
        stream.add(a);
        stream.advance();
        stream.remove(a);
        stream.advance();
        assertEquals(List.of("0xf1"), filters.uninstalled);
        stream.advance();
        assertEquals(1, filters.made, "no filter made for nobody");
    }
}
