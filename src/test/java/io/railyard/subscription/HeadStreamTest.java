package io.railyard.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.LongStream;

/** Guards that a head stream delivers every canonical block and log once, in order, through gaps, failures and reorgs. */
class HeadStreamTest {

    static final String ADDRESS = "0x" + "5a".repeat(20);
    static final String TOPIC = "0x" + "7e".repeat(32);
    /** The chain's tip before each test mines: the block the first step records. */
    static final long START = 10;
    static final int LOGS_PER_BLOCK = 2;
    static final int DEFAULT_DEPTH = 64;

    Chain chain;
    RecordedEvents events;
    HeadStream stream;

    @BeforeEach
    void newChain() {
        chain = new Chain();
        chain.mine((int) START + 1);
        events = new RecordedEvents();
        stream = streamWithDepth(DEFAULT_DEPTH);
    }

    @Test
    void firstStepRecordsTheTipAndDeliversNothing() {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();

        step();

        assertEquals(List.of(), heads.delivered);
        assertEquals(List.of(), logs.delivered);
        assertEquals(START, stream.lastDelivered());
        // The tip is only a starting point: nobody is owed its logs, and there is nothing behind it to walk.
        assertEquals(1, chain.calls(Call.LATEST));
        assertEquals(0, chain.calls(Call.LOGS));
        assertEquals(0, chain.calls(Call.BY_HASH));
    }

    @Test
    void eachNewBlockIsDeliveredOnceInOrder() {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();
        step();

        for (int i = 0; i < 5; i++) {
            chain.mine(1);
            step();
            step(); // latest has not moved: a poll faster than the chain must not repeat a block
        }

        assertEquals(headers(chain.blocks(11, 15)), heads.delivered);
        assertEquals(added(chain.blocks(11, 15)), seen(logs));
        assertEquals(15, stream.lastDelivered());
        assertEquals(0, chain.calls(Call.BY_HASH));
        assertEquals(List.of(), events.gaps);
    }

    @ParameterizedTest(name = "a jump of {0} blocks")
    @ValueSource(ints = {2, 7, 100})
    void aJumpOfSeveralBlocksIsFilledInOrderByParentHash(int gap) {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();
        step();
        chain.mine(gap);
        chain.resetCalls();

        step();

        List<JsonObject> filled = chain.blocks(START + 1, START + gap);
        assertEquals(headers(filled), heads.delivered);
        assertEquals(added(filled), seen(logs));
        // The latest block came with the first call; every other one costs one call by hash, and one for its logs.
        assertEquals(1, chain.calls(Call.LATEST));
        assertEquals(gap - 1, chain.calls(Call.BY_HASH));
        assertEquals(gap, chain.calls(Call.LOGS));
        assertEquals(List.of((long) gap - 1), events.gaps);
    }

    @ParameterizedTest(name = "{0} fails after {1} answers")
    @CsvSource({"LATEST, 0", "BY_HASH, 1", "LOGS, 2"})
    void aFailedStepDeliversNothingAndTheNextOneResumesWithoutAGapOrDuplicate(Call failing, int answersFirst) {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();
        step();
        chain.mine(1);
        step();
        chain.mine(4);
        // Failing after some answers leaves the walk half done: none of it may leak into the chain delivered.
        chain.failAfter(failing, answersFirst);

        failedStep();

        assertEquals(headers(chain.blocks(11, 11)), heads.delivered);
        assertEquals(added(chain.blocks(11, 11)), seen(logs));
        assertEquals(11, stream.lastDelivered());
        assertEquals(1, events.failures);

        chain.heal();
        chain.mine(1);
        step();

        assertEquals(headers(chain.blocks(11, 16)), heads.delivered);
        assertEquals(added(chain.blocks(11, 16)), seen(logs));
        assertEquals(1, events.failures);
        assertEquals(List.of(4L), events.gaps);
    }

    @Test
    void aReorgReplaysRemovedLogsNewestFirstThenTheNewBranch() {
        Recorder logs = followLogs();
        step();
        chain.mine(3);
        step();
        String old12 = chain.hash(12);
        String old13 = chain.hash(13);
        JsonObject lastOld13Log = chain.logsOf(old13).getJsonObject(1);
        int before = logs.delivered.size();

        chain.reorg(2);
        chain.mine(1);
        chain.resetCalls();
        step();

        String new12 = chain.hash(12);
        String new13 = chain.hash(13);
        String new14 = chain.hash(14);
        assertEquals(List.of(
                new Seen(13, 1, true, old13), new Seen(13, 0, true, old13),
                new Seen(12, 1, true, old12), new Seen(12, 0, true, old12),
                new Seen(12, 0, false, new12), new Seen(12, 1, false, new12),
                new Seen(13, 0, false, new13), new Seen(13, 1, false, new13),
                new Seen(14, 0, false, new14), new Seen(14, 1, false, new14)),
                seen(logs).subList(before, logs.delivered.size()));
        // A removed log is the log as first delivered, flagged; nothing else about it changes.
        assertEquals(lastOld13Log.copy().put("removed", true), logs.delivered.get(before));
        // The replaced blocks' logs were kept from their delivery: only the new branch is fetched.
        assertEquals(3, chain.calls(Call.LOGS));
    }

    @Test
    void aBlockThatIsNotTheParentFailsTheStepInsteadOfBeingDelivered() {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        step();
        chain.mine(3);
        // Block 11 for the hash of block 12: its parent is on the chain, so only its height gives the lie away.
        chain.answerByHashWith(START + 1);

        failedStep();

        assertEquals(List.of(), heads.delivered);
        assertEquals(START, stream.lastDelivered());
        assertEquals(1, events.failures);

        chain.heal();
        step();
        assertEquals(headers(chain.blocks(11, 13)), heads.delivered);
    }

    @Test
    void newHeadsSubscribersGetTheNewBranchHeadsAfterAReorg() {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        step();
        chain.mine(3);
        step();
        List<JsonObject> oldBranch = chain.blocks(11, 13);

        chain.reorg(2);
        step();

        List<JsonObject> expected = new ArrayList<>(headers(oldBranch));
        expected.addAll(headers(chain.blocks(12, 13)));
        assertEquals(expected, heads.delivered);
        assertEquals(List.of(), heads.ended);
    }

    @Test
    void aReorgDeeperThanTheLimitEndsEverySubscription() {
        stream = streamWithDepth(3);
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();
        step();
        mineOneByOne(5);
        int headsBefore = heads.delivered.size();
        int logsBefore = logs.delivered.size();

        chain.reorg(4);
        step();

        assertEquals(1, heads.ended.size());
        assertEquals(1, logs.ended.size());
        assertTrue(heads.ended.get(0).contains("deeper than 3"), heads.ended.get(0));
        // Half a replay would be worse than none: a client must not act on a partial undo.
        assertEquals(headsBefore, heads.delivered.size());
        assertEquals(logsBefore, logs.delivered.size());
        assertEquals(0, stream.count(SubscriptionKind.NEW_HEADS));
        assertEquals(0, stream.count(SubscriptionKind.LOGS));
        assertFalse(stream.isFollowed());
    }

    @Test
    void aReorgAsDeepAsTheLimitIsReplayed() {
        stream = streamWithDepth(3);
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();
        step();
        mineOneByOne(5);
        List<JsonObject> oldBranch = chain.blocks(13, 15);
        int before = logs.delivered.size();

        chain.reorg(3);
        step();

        assertEquals(List.of(), heads.ended);
        assertEquals(List.of(), logs.ended);
        assertEquals(headers(chain.blocks(13, 15)), heads.delivered.subList(heads.delivered.size() - 3, heads.delivered.size()));
        List<Seen> expected = new ArrayList<>(removed(oldBranch));
        expected.addAll(added(chain.blocks(13, 15)));
        assertEquals(expected, seen(logs).subList(before, logs.delivered.size()));
    }

    @ParameterizedTest(name = "{0} block(s) kept, all replaced")
    @ValueSource(ints = {1, 2, 3})
    void aYoungStreamReplaysAReorgOfEveryBlockItKeeps(int kept) {
        stream = streamWithDepth(3);
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();
        step();
        mineOneByOne(kept - 1);
        // The tip recorded first was never delivered, nor its logs fetched: there is nothing of it to undo.
        List<JsonObject> delivered = chain.blocks(START + 1, START + kept - 1);
        int headsBefore = heads.delivered.size();
        int logsBefore = logs.delivered.size();

        chain.reorg(kept);
        step();

        assertEquals(List.of(), heads.ended);
        assertEquals(List.of(), logs.ended);
        List<JsonObject> newBranch = chain.blocks(START, START + kept - 1);
        assertEquals(headers(newBranch), heads.delivered.subList(headsBefore, heads.delivered.size()));
        List<Seen> expected = new ArrayList<>(removed(delivered));
        expected.addAll(added(newBranch));
        assertEquals(expected, seen(logs).subList(logsBefore, logs.delivered.size()));
    }

    @ParameterizedTest(name = "{0} logs subscribers")
    @ValueSource(ints = {1, 500})
    void logsAreFetchedOncePerBlockWhateverTheNumberOfLogSubscribers(int subscribers) {
        List<Recorder> followers = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            followers.add(followLogs());
        }
        step();
        chain.mine(1);
        step();
        chain.mine(4);
        step();
        chain.reorg(2);
        step();

        // 1 + 4 blocks, then a branch of 2: one call per block added, however many filters match it.
        assertEquals(7, chain.calls(Call.LOGS));
        List<Seen> first = seen(followers.get(0));
        assertEquals((5 + 2 + 2) * LOGS_PER_BLOCK, first.size());
        for (Recorder follower : followers) {
            assertEquals(first, seen(follower));
        }
    }

    @Test
    void noLogsAreFetchedWhileNobodyFollowsLogs() {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        step();
        chain.mine(1);
        step();
        chain.mine(3);
        step();
        chain.reorg(2);
        step();

        assertEquals(0, chain.calls(Call.LOGS));
        assertEquals(1 + 3 + 2, heads.delivered.size());

        Recorder logs = followLogs();
        chain.mine(1);
        step();
        assertEquals(1, chain.calls(Call.LOGS));
        assertEquals(added(chain.blocks(15, 15)), seen(logs));

        // Block 14 was delivered before anyone followed logs: its logs were never sent, so none of them are undone.
        List<JsonObject> old15 = chain.blocks(15, 15);
        int before = logs.delivered.size();
        chain.reorg(2);
        step();
        List<Seen> expected = new ArrayList<>(removed(old15));
        expected.addAll(added(chain.blocks(14, 15)));
        assertEquals(expected, seen(logs).subList(before, logs.delivered.size()));
    }

    @Test
    void aNodeBehindTheDeliveredChainIsIgnored() {
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        Recorder logs = followLogs();
        step();
        mineOneByOne(3);
        chain.resetCalls();

        for (long behind : new long[] {11, 12}) {
            chain.reportAsLatest(behind);
            step();
            assertEquals(13, stream.lastDelivered());
        }

        assertEquals(headers(chain.blocks(11, 13)), heads.delivered);
        assertEquals(0, chain.calls(Call.BY_HASH));
        assertEquals(0, chain.calls(Call.LOGS));

        chain.reportTip();
        chain.mine(1);
        step();
        assertEquals(headers(chain.blocks(11, 14)), heads.delivered);
        assertEquals(added(chain.blocks(11, 14)), seen(logs));
    }

    @Test
    void withNobodySubscribedTheChainIsForgotten() {
        Recorder early = follow(SubscriptionKind.NEW_HEADS);
        step();
        chain.mine(1);
        step();
        assertEquals(11, stream.lastDelivered());

        stream.remove(early);
        int latestCalls = chain.calls(Call.LATEST);
        step();
        assertEquals(-1, stream.lastDelivered());
        assertEquals(latestCalls, chain.calls(Call.LATEST));

        // A later subscriber starts from the head of its own time, not from where the last one left.
        chain.mine(5);
        Recorder late = follow(SubscriptionKind.NEW_HEADS);
        step();
        assertEquals(List.of(), late.delivered);
        chain.mine(1);
        step();
        assertEquals(headers(chain.blocks(17, 17)), late.delivered);
        assertEquals(headers(chain.blocks(11, 11)), early.delivered);
    }

    @Test
    void aLongGapOfBlocksThatAnswerAtOnceDoesNotOverflowTheStack() {
        // Cached blocks complete at once; walking thousands of them must not recurse once per block.
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        step();
        chain.mine(5000);
        step();
        assertEquals(5000, heads.delivered.size());
        assertEquals(START + 5000, stream.lastDelivered());
        for (int i = 1; i < heads.delivered.size(); i++) {
            assertEquals(heads.delivered.get(i - 1).getString("hash"), heads.delivered.get(i).getString("parentHash"));
        }
    }

    @Test
    void aGapWiderThanTheLimitEndsTheSubscriptionsAndStartsAgainAtTheHead() {
        stream = new HeadStream("testnet", chain, DEFAULT_DEPTH, 10, events);
        Recorder heads = follow(SubscriptionKind.NEW_HEADS);
        step();
        chain.mine(11);
        step();
        assertEquals(List.of(), heads.delivered, "no block delivered with a gap behind it");
        assertEquals(1, heads.ended.size());
        assertTrue(heads.ended.get(0).contains("max-gap-blocks"), heads.ended.get(0));
        assertEquals(START + 11, stream.lastDelivered());
    }

    @Test
    void aSubscriberArrivingBeforeTheNextStepAfterTheLastOneLeftStartsFromItsOwnTime() {
        Recorder early = follow(SubscriptionKind.NEW_HEADS);
        step();
        stream.remove(early);
        chain.mine(3);
        // No step ran between: a client that reconnects within one poll interval.
        Recorder late = follow(SubscriptionKind.NEW_HEADS);
        step();
        assertEquals(List.of(), late.delivered, "blocks from before it subscribed");
        chain.mine(1);
        step();
        assertEquals(headers(chain.blocks(START + 4, START + 4)), late.delivered);
    }

    // --- helpers --------------------------------------------------------------------------------------------------

    HeadStream streamWithDepth(int maxReorgDepth) {
        return new HeadStream("testnet", chain, maxReorgDepth, 100_000, events);
    }

    Recorder follow(SubscriptionKind kind) {
        Recorder recorder = new Recorder(kind, kind == SubscriptionKind.LOGS ? LogFilter.ANY : null);
        stream.add(recorder);
        return recorder;
    }

    Recorder followLogs() {
        return follow(SubscriptionKind.LOGS);
    }

    /** Steps run on completed futures here, so a step is over when advance returns. */
    void step() {
        Future<Void> step = stream.advance();
        assertTrue(step.succeeded(), () -> "step failed: " + step.cause());
    }

    void failedStep() {
        Future<Void> step = stream.advance();
        assertTrue(step.failed(), "the step should have failed");
    }

    void mineOneByOne(int blocks) {
        for (int i = 0; i < blocks; i++) {
            chain.mine(1);
            step();
        }
    }

    /** What newHeads subscribers should get for these blocks: each block without its body fields. */
    static List<JsonObject> headers(List<JsonObject> blocks) {
        return blocks.stream().map(block -> {
            JsonObject header = block.copy();
            for (String field : List.of("transactions", "uncles", "size", "totalDifficulty", "withdrawals")) {
                header.remove(field);
            }
            return header;
        }).toList();
    }

    /** One log notification, reduced to what tells the order apart. */
    record Seen(long block, int logIndex, boolean removed, String blockHash) {
        static Seen of(JsonObject log) {
            return new Seen(number(log.getString("blockNumber")), (int) number(log.getString("logIndex")),
                    log.getBoolean("removed", false), log.getString("blockHash"));
        }
    }

    static List<Seen> seen(Recorder logs) {
        return logs.delivered.stream().map(Seen::of).toList();
    }

    /** The logs of these blocks as they are added: oldest block first, each in log-index order. */
    List<Seen> added(List<JsonObject> blocks) {
        List<Seen> seen = new ArrayList<>();
        for (JsonObject block : blocks) {
            for (Object log : chain.logsOf(block.getString("hash"))) {
                seen.add(Seen.of((JsonObject) log));
            }
        }
        return seen;
    }

    /** The logs of these blocks as a reorg undoes them: newest block first, last log first. */
    List<Seen> removed(List<JsonObject> blocks) {
        List<Seen> seen = new ArrayList<>();
        for (int b = blocks.size() - 1; b >= 0; b--) {
            JsonArray logs = chain.logsOf(blocks.get(b).getString("hash"));
            for (int i = logs.size() - 1; i >= 0; i--) {
                Seen log = Seen.of(logs.getJsonObject(i));
                seen.add(new Seen(log.block(), log.logIndex(), true, log.blockHash()));
            }
        }
        return seen;
    }

    static long number(String hex) {
        return Long.parseLong(hex.substring(2), 16);
    }

    static String hex(long number) {
        return "0x" + Long.toHexString(number);
    }

    enum Call { LATEST, BY_HASH, LOGS }

    /**
     * An in-memory node: a canonical chain whose latest block it reports (or an older one, like a lagging node),
     * every block ever mined kept by hash (a reorged-out block stays known, as on a node), calls counted per method.
     */
    static final class Chain implements BlockSource {
        private static final String NO_PARENT = "0x" + "0".repeat(64);

        private final List<JsonObject> canonical = new ArrayList<>();
        private final Map<String, JsonObject> known = new HashMap<>();
        private final Map<String, JsonArray> logs = new HashMap<>();
        private final Map<Call, Integer> calls = new EnumMap<>(Call.class);
        /** Per failing method, how many more calls it answers before failing. */
        private final Map<Call, Integer> answersLeft = new EnumMap<>(Call.class);
        /** Bumped by every reorg so that a replacing block's hash differs from the one it replaces. */
        private int branch = 1;
        private long reported = -1;
        /** A lying node's answer to every by-hash call: this canonical block, whatever was asked; null when honest. */
        private Long byHashAnswer;

        void mine(int blocks) {
            for (int i = 0; i < blocks; i++) {
                long number = canonical.size();
                String hash = String.format("0x%02x%062x", branch, number);
                String parent = number == 0 ? NO_PARENT : canonical.get((int) number - 1).getString("hash");
                JsonObject block = new JsonObject()
                        .put("number", hex(number))
                        .put("hash", hash)
                        .put("parentHash", parent)
                        .put("miner", ADDRESS)
                        .put("timestamp", hex(1_700_000_000L + 12 * number))
                        .put("transactions", new JsonArray().add("0x" + "ab".repeat(32)))
                        .put("uncles", new JsonArray())
                        .put("size", "0x220")
                        .put("totalDifficulty", "0x0")
                        .put("withdrawals", new JsonArray());
                canonical.add(block);
                known.put(hash, block);
                logs.put(hash, logsFor(number, hash));
            }
        }

        private static JsonArray logsFor(long number, String hash) {
            JsonArray array = new JsonArray();
            for (int i = 0; i < LOGS_PER_BLOCK; i++) {
                array.add(new JsonObject()
                        .put("address", ADDRESS)
                        .put("topics", new JsonArray().add(TOPIC))
                        .put("data", "0x")
                        .put("blockNumber", hex(number))
                        .put("blockHash", hash)
                        .put("logIndex", hex(i))
                        .put("removed", false));
            }
            return array;
        }

        /** Replaces the newest {@code depth} blocks by as many new ones on another branch. */
        void reorg(int depth) {
            for (int i = 0; i < depth; i++) {
                canonical.remove(canonical.size() - 1);
            }
            branch++;
            mine(depth);
        }

        void reportAsLatest(long number) {
            reported = number;
        }

        void reportTip() {
            reported = -1;
        }

        List<JsonObject> blocks(long from, long to) {
            return LongStream.rangeClosed(from, to).mapToObj(n -> canonical.get((int) n).copy()).toList();
        }

        String hash(long number) {
            return canonical.get((int) number).getString("hash");
        }

        JsonArray logsOf(String hash) {
            return logs.get(hash).copy();
        }

        int calls(Call call) {
            return calls.getOrDefault(call, 0);
        }

        void resetCalls() {
            calls.clear();
        }

        void failAfter(Call call, int answers) {
            answersLeft.put(call, answers);
        }

        void answerByHashWith(long number) {
            byHashAnswer = number;
        }

        void heal() {
            answersLeft.clear();
            byHashAnswer = null;
        }

        @Override
        public Future<JsonObject> latest() {
            return answer(Call.LATEST, () -> canonical.get((int) (reported < 0 ? canonical.size() - 1 : reported)).copy());
        }

        @Override
        public Future<JsonObject> byHash(String hash) {
            String asked = byHashAnswer == null ? hash : hash(byHashAnswer);
            return answer(Call.BY_HASH, () -> known.get(asked) == null ? null : known.get(asked).copy());
        }

        @Override
        public Future<JsonArray> logs(String blockHash) {
            return answer(Call.LOGS, () -> logs.get(blockHash).copy());
        }

        private <T> Future<T> answer(Call call, Supplier<T> result) {
            calls.merge(call, 1, Integer::sum);
            Integer left = answersLeft.get(call);
            if (left != null) {
                if (left == 0) {
                    return Future.failedFuture(call + ": no node answered");
                }
                answersLeft.put(call, left - 1);
            }
            T value = result.get();
            return value == null ? Future.failedFuture(call + ": no node has it") : Future.succeededFuture(value);
        }
    }

    /** A subscription that keeps what it was sent. */
    static final class Recorder implements Subscriber {
        final SubscriptionKind kind;
        final LogFilter filter;
        final List<JsonObject> delivered = new ArrayList<>();
        final List<String> ended = new ArrayList<>();

        Recorder(SubscriptionKind kind, LogFilter filter) {
            this.kind = kind;
            this.filter = filter;
        }

        @Override
        public SubscriptionKind kind() {
            return kind;
        }

        @Override
        public LogFilter filter() {
            return filter;
        }

        @Override
        public void deliver(Notification notification) {
            delivered.add(new JsonObject(notification.json()));
        }

        @Override
        public void end(String reason) {
            ended.add(reason);
        }
    }

    static final class RecordedEvents implements HeadStream.Events {
        final List<Long> gaps = new ArrayList<>();
        int failures;

        @Override
        public void gapFilled(long blocks) {
            gaps.add(blocks);
        }

        @Override
        public void stepFailed() {
            failures++;
        }
    }
}
