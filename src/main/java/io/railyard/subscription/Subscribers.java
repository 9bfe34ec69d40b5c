package io.railyard.subscription;

import io.vertx.core.Context;
import io.vertx.core.impl.ContextInternal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A stream's subscribers, grouped by the event loop their connection lives on, so that telling all of them costs
 * one task per event loop rather than one handoff per subscriber: each loop then writes to its own sockets, the
 * loops in parallel. (Measured with 10,000 subscribers, bench/ws-fanout.sh: handing every notification to its
 * socket's loop from the stream's loop spent the stream's loop on 10,000 task submissions per block.) A subscriber
 * without a loop ({@link Subscriber#loop()} null) is told on the caller's thread. Subscribers come and go from any
 * thread; a task sees the group as it is when it runs.
 */
final class Subscribers {

    private final Map<Context, Set<Subscriber>> byLoop = new ConcurrentHashMap<>();
    private final Set<Subscriber> anyThread = ConcurrentHashMap.newKeySet();
    private final Set<Subscriber> all = ConcurrentHashMap.newKeySet();

    boolean add(Subscriber subscriber) {
        if (!all.add(subscriber)) {
            return false;
        }
        group(subscriber).add(subscriber);
        return true;
    }

    boolean remove(Subscriber subscriber) {
        if (!all.remove(subscriber)) {
            return false;
        }
        group(subscriber).remove(subscriber);
        return true;
    }

    boolean isEmpty() {
        return all.isEmpty();
    }

    int size() {
        return all.size();
    }

    /** The subscribers now, for a walk that may remove some of them. */
    List<Subscriber> snapshot() {
        return new ArrayList<>(all);
    }

    /**
     * Runs {@code action} for every subscriber on that subscriber's event loop: at once for those of the caller's
     * loop (and those without one), in one task for each other loop. Each loop runs its tasks in order, so the
     * notifications of successive calls reach every subscriber in the order of the calls.
     */
    void each(Consumer<Subscriber> action) {
        each(action, () -> { });
    }

    /** As {@link #each(Consumer)}, then runs {@code done} (on whichever loop finishes last) once every loop has. */
    void each(Consumer<Subscriber> action, Runnable done) {
        List<Map.Entry<Context, Set<Subscriber>>> groups = new ArrayList<>(byLoop.size());
        for (Map.Entry<Context, Set<Subscriber>> group : byLoop.entrySet()) {
            if (!group.getValue().isEmpty()) {
                groups.add(group);
            }
        }
        AtomicInteger left = new AtomicInteger(groups.size() + 1);
        Runnable oneDone = () -> {
            if (left.decrementAndGet() == 0) {
                done.run();
            }
        };
        anyThread.forEach(action);
        Context here = loopOf(ContextInternal.current());
        for (Map.Entry<Context, Set<Subscriber>> group : groups) {
            Set<Subscriber> members = group.getValue();
            if (group.getKey() == here) {
                members.forEach(action);
                oneDone.run();
            } else {
                group.getKey().runOnContext(v -> {
                    members.forEach(action);
                    oneDone.run();
                });
            }
        }
        oneDone.run();
    }

    private Set<Subscriber> group(Subscriber subscriber) {
        Context loop = loopOf(subscriber.loop());
        return loop == null ? anyThread : byLoop.computeIfAbsent(loop, k -> ConcurrentHashMap.newKeySet());
    }

    /** The event loop's own context: a connection's context may be a duplicate of it, one per request. */
    private static Context loopOf(Context context) {
        return context == null ? null : ((ContextInternal) context).unwrap();
    }
}
