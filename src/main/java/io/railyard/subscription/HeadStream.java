package io.railyard.subscription;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One network's canonical chain as its subscribers see it, followed by parent hash from the last block delivered:
 * each {@link #advance} reads the network's latest block and walks back from it until it meets the chain already
 * delivered, so blocks the stream missed (a slow poll, an upstream that died while feeding it) are fetched and
 * delivered in order, and a reorg is found where the walk meets the chain below its end. Every subscriber gets each
 * canonical block, and each of its logs, once and in order; on a reorg {@code logs} subscribers first get the
 * replaced blocks' logs again with {@code removed: true} (newest first, undoing them), then the new branch.
 *
 * <p>However many subscribe, a step costs the same upstream calls: one for the latest block, one per block added
 * and, while anyone follows logs, one {@code eth_getLogs} by block hash per block, matched to every filter here.
 * A step that fails (no node answered) changes nothing: the next one starts again from the last block delivered.
 * Steps run one at a time on the stream's event loop; subscribers come and go from any thread.
 */
public final class HeadStream {

    private static final Logger LOG = Logger.getLogger(HeadStream.class);
    /** {@code eth_getLogs} calls a step has under way at most. */
    static final int LOG_FETCHES_AT_ONCE = 16;

    /** What a stream reports to its meters. */
    public interface Events {
        /** Blocks delivered that were not the latest one when read: a gap the stream filled. */
        default void gapFilled(long blocks) {
        }

        /** A step failed and the stream will resume from its last block. */
        default void stepFailed() {
        }

        /** A head's notification sets out to the {@code newHeads} subscribers; the task returned runs once all have it. */
        default Runnable headFanOut() {
            return () -> { };
        }

        Events NONE = new Events() {
        };
    }

    private final String network;
    private final BlockSource source;
    private final int maxReorgDepth;
    private final long maxGapBlocks;
    private final Events events;
    private final Subscribers subscribers = new Subscribers();
    private final Map<SubscriptionKind, AtomicInteger> counts = new EnumMap<>(SubscriptionKind.class);
    /** The blocks delivered, oldest first: the last {@code maxReorgDepth + 1}, enough to find any replayable reorg. */
    private final Deque<ChainBlock> chain = new ArrayDeque<>();
    /** What {@link #walkBack} finds when a branch replaces every block kept: no block of the chain stays. */
    private static final ChainBlock BELOW_KEPT = ChainBlock.NONE;
    private boolean stepping;
    /** A step was asked for while one ran: run another when it ends (a head announced meanwhile). */
    private boolean again;
    private volatile long lastNumber = -1;
    /** Set when a subscriber arrives at a stream nobody followed: the next step forgets the chain first. */
    private volatile boolean restart;
    private boolean lastStepFailed;

    public HeadStream(String network, BlockSource source, int maxReorgDepth, long maxGapBlocks, Events events) {
        this.network = network;
        this.source = source;
        this.maxReorgDepth = maxReorgDepth;
        this.maxGapBlocks = maxGapBlocks;
        this.events = events;
        for (SubscriptionKind kind : SubscriptionKind.values()) {
            counts.put(kind, new AtomicInteger());
        }
    }

    public String network() {
        return network;
    }

    public void add(Subscriber subscriber) {
        boolean wasUnfollowed = subscribers.isEmpty();
        if (subscribers.add(subscriber)) {
            counts.get(subscriber.kind()).incrementAndGet();
            if (wasUnfollowed) {
                // Whatever the chain held is from before: the next step starts from the head of this subscriber's time.
                restart = true;
            }
        }
    }

    public void remove(Subscriber subscriber) {
        if (subscribers.remove(subscriber)) {
            counts.get(subscriber.kind()).decrementAndGet();
        }
    }

    /** Subscriptions of that kind following this stream now. */
    public int count(SubscriptionKind kind) {
        return counts.get(kind).get();
    }

    public boolean isFollowed() {
        return !subscribers.isEmpty();
    }

    /** The newest block delivered, -1 before the first; read from any thread. */
    public long lastDelivered() {
        return lastNumber;
    }

    /** Keeps {@link #lastDelivered()} in step with the chain, which only the stream's event loop touches. */
    private void chainChanged() {
        ChainBlock last = chain.peekLast();
        lastNumber = last == null ? -1 : last.number;
    }

    /**
     * One step: reads the latest block and delivers every block from the last one delivered up to it. Does nothing
     * while a step is under way. Nobody following: the chain is forgotten, so that a later subscriber starts from the
     * head of its own time rather than catching up on blocks it never asked for.
     */
    public Future<Void> advance() {
        if (stepping) {
            again = true;
            return Future.succeededFuture();
        }
        if (subscribers.isEmpty()) {
            chain.clear();
            chainChanged();
            return Future.succeededFuture();
        }
        if (restart) {
            restart = false;
            chain.clear();
        }
        stepping = true;
        return source.latest().compose(this::catchUp).andThen(done -> {
            stepping = false;
            chainChanged();
            if (again) {
                again = false;
                advance();
            }
            if (done.failed()) {
                if (!lastStepFailed) {
                    LOG.infof("subscriptions on %s: could not read the chain (%s); resuming from block %d on the next step",
                            network, done.cause().getMessage(), lastDelivered());
                }
                lastStepFailed = true;
                events.stepFailed();
            } else {
                lastStepFailed = false;
            }
        }).mapEmpty();
    }

    private Future<Void> catchUp(JsonObject latest) {
        ChainBlock tip = ChainBlock.of(latest);
        ChainBlock last = chain.peekLast();
        if (last == null) {
            // The first block: subscribers get blocks from the next one on, as from a node.
            chain.addLast(tip);
            return Future.succeededFuture();
        }
        if (tip.hash.equals(last.hash) || tip.number < last.number) {
            // Nothing new, or a node behind the chain already delivered (the head never goes backwards).
            return Future.succeededFuture();
        }
        if (tip.number - last.number > maxGapBlocks) {
            endAll(tip, "the stream of " + network + " fell " + (tip.number - last.number) + " blocks behind the chain,"
                    + " more than it fills (railyard.subscriptions.max-gap-blocks); subscribe again");
            return Future.succeededFuture();
        }
        List<ChainBlock> branch = new ArrayList<>();
        branch.add(tip);
        return walkBack(branch).compose(ancestor -> {
            if (ancestor == null) {
                tooDeep(tip);
                return Future.succeededFuture();
            }
            Collections.reverse(branch);
            return withLogs(branch).map(v -> {
                deliver(ancestor, branch);
                return null;
            });
        });
    }

    /**
     * Extends {@code branch} (newest first) by parent hash until its oldest block's parent is on the chain; completes
     * with that parent, or with null when the walk went deeper than a replayable reorg.
     */
    private Future<ChainBlock> walkBack(List<ChainBlock> branch) {
        // A loop while answers are at hand (cached blocks complete at once: recursing on them would overflow the
        // stack on a long gap), and a continuation only when an answer is still to come.
        while (true) {
            ChainBlock oldest = branch.get(branch.size() - 1);
            ChainBlock parent = find(oldest.parentHash);
            if (parent != null) {
                return Future.succeededFuture(parent);
            }
            ChainBlock first = chain.peekFirst();
            if (oldest.number <= first.number) {
                // The branch replaces every block kept. That is a replayable reorg only while fewer than the deepest
                // replayable are kept (a young stream): then no subscriber saw a block below the branch.
                return Future.succeededFuture(chain.size() <= maxReorgDepth ? BELOW_KEPT : null);
            }
            Future<JsonObject> fetch = source.byHash(oldest.parentHash);
            if (!fetch.isComplete()) {
                return fetch.compose(block -> {
                    String wrong = extend(branch, oldest, block);
                    return wrong != null ? Future.failedFuture(wrong) : walkBack(branch);
                });
            }
            if (fetch.failed()) {
                return Future.failedFuture(fetch.cause());
            }
            String wrong = extend(branch, oldest, fetch.result());
            if (wrong != null) {
                return Future.failedFuture(wrong);
            }
        }
    }

    /** Adds {@code oldest}'s parent to the branch; returns why it cannot, or null. */
    private static String extend(List<ChainBlock> branch, ChainBlock oldest, JsonObject block) {
        ChainBlock fetched = ChainBlock.of(block);
        if (fetched.number != oldest.number - 1) {
            return "block " + oldest.parentHash + " is not the parent of " + oldest;
        }
        branch.add(fetched);
        return null;
    }

    private ChainBlock find(String hash) {
        for (var it = chain.descendingIterator(); it.hasNext(); ) {
            ChainBlock b = it.next();
            if (b.hash.equals(hash)) {
                return b;
            }
        }
        return null;
    }

    /** Fetches the logs of the branch's blocks while anyone follows logs; one call per block, whatever the filters. */
    private Future<Void> withLogs(List<ChainBlock> branch) {
        if (count(SubscriptionKind.LOGS) == 0) {
            return Future.succeededFuture();
        }
        return logsFrom(branch, 0, new JsonArray[branch.size()]);
    }

    /**
     * The logs of {@code branch[from..]}, {@link #LOG_FETCHES_AT_ONCE} blocks at a time so that filling a long gap
     * does not fire hundreds of calls at once; kept on the blocks only when all arrived, so a failed step leaves
     * nothing half done.
     */
    private Future<Void> logsFrom(List<ChainBlock> branch, int from, JsonArray[] fetched) {
        if (from >= branch.size()) {
            for (int i = 0; i < branch.size(); i++) {
                branch.get(i).logs = fetched[i];
            }
            return Future.succeededFuture();
        }
        int to = Math.min(branch.size(), from + LOG_FETCHES_AT_ONCE);
        List<Future<JsonArray>> fetches = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            ChainBlock block = branch.get(i);
            fetches.add(block.logs != null ? Future.succeededFuture(block.logs) : source.logs(block.hash));
        }
        return Future.all(fetches).compose(done -> {
            for (int i = from; i < to; i++) {
                fetched[i] = fetches.get(i - from).result();
            }
            return logsFrom(branch, to, fetched);
        });
    }

    /** Replaces the chain above {@code ancestor} by {@code branch} (oldest first) and tells every subscriber. */
    private void deliver(ChainBlock ancestor, List<ChainBlock> branch) {
        List<ChainBlock> replaced = new ArrayList<>();
        while (!chain.isEmpty() && chain.peekLast() != ancestor) {
            replaced.add(chain.removeLast());
        }
        // replaced is newest first: the order in which their logs are undone.
        for (ChainBlock gone : replaced) {
            if (gone.logs != null) {
                for (int i = gone.logs.size() - 1; i >= 0; i--) {
                    deliverLog(gone.logs.getJsonObject(i).copy().put("removed", true));
                }
            }
        }
        if (!replaced.isEmpty()) {
            LOG.infof("subscriptions on %s: reorg of %d blocks below %s, replayed to subscribers", network, replaced.size(),
                    branch.get(branch.size() - 1));
        }
        int gap = branch.size() - 1 - replaced.size();
        if (gap > 0) {
            events.gapFilled(gap);
        }
        for (ChainBlock block : branch) {
            chain.addLast(block);
            if (count(SubscriptionKind.NEW_HEADS) > 0) {
                Notification header = new Notification(block.header);
                subscribers.each(s -> {
                    if (s.kind() == SubscriptionKind.NEW_HEADS) {
                        s.deliver(header);
                    }
                }, events.headFanOut());
            }
            if (block.logs != null) {
                for (int i = 0; i < block.logs.size(); i++) {
                    deliverLog(block.logs.getJsonObject(i));
                }
            }
        }
        while (chain.size() > maxReorgDepth + 1) {
            chain.removeFirst();
        }
    }

    private void deliverLog(JsonObject log) {
        if (count(SubscriptionKind.LOGS) == 0) {
            return;
        }
        // Encoded once here: the filters are matched on the subscribers' own loops, which only read the log.
        Notification encoded = new Notification(log.encode());
        subscribers.each(s -> {
            if (s.kind() == SubscriptionKind.LOGS && s.filter().matches(log)) {
                s.deliver(encoded);
            }
        });
    }

    private void tooDeep(ChainBlock tip) {
        endAll(tip, "the chain of " + network + " reorganised deeper than " + maxReorgDepth
                + " blocks (railyard.subscriptions.max-reorg-depth); subscribe again");
    }

    /** Ends every subscription with {@code reason} (they cannot be served without a gap) and starts again at the tip. */
    private void endAll(ChainBlock tip, String reason) {
        LOG.warnf("subscriptions on %s ended at %s: %s", network, tip, reason);
        for (Subscriber s : subscribers.snapshot()) {
            remove(s);
            s.end(reason);
        }
        chain.clear();
        chain.addLast(tip);
    }
}
