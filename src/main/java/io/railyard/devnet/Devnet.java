package io.railyard.devnet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A local devnet: N anvil processes on loopback ports that hold ONE chain. Anvil nodes do not peer, so the devnet
 * mines them in lockstep: every node starts from the same genesis ({@code --no-mining --timestamp <genesis>}, same
 * mnemonic and chain id), and every block is made by calling {@code evm_mine [genesis + number * step]} (step: the
 * block interval in whole seconds, at least 1) on every node once all of them hold the same pending transactions in
 * the same order. Anvil orders equal-priority transactions by arrival, so the same set sent in a different order
 * would fork the chain: the devnet copies missing raw transactions across (after a couple of ticks' grace for
 * in-flight broadcasts) and re-feeds a node's pool in the reference order when only the order differs. After each
 * block it compares the block hashes and repairs a node that forked anyway (a transaction that arrived between the
 * check and the mine, or a block mined behind the devnet's back) by rolling it back and replaying the canonical
 * block. Held-back, restarted or unreachable nodes catch up by replaying the missed blocks (raw transactions and
 * timestamp taken from a node in sync), verifying the resulting block hash.
 *
 * <p>All chain operations run under one lock, on the devnet's own scheduler thread or the caller's; none of this is
 * on the gateway's request path. A JVM shutdown hook kills the processes if {@link #close()} is never called.
 */
public final class Devnet implements AutoCloseable {

    /** System property naming the anvil binary (set by surefire/failsafe). */
    public static final String ANVIL_PROPERTY = "railyard.devnet.anvil";
    /** Where the Maven build installs anvil, relative to the project directory. */
    public static final Path DEFAULT_ANVIL = Path.of("src/test/anvil/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    /** Anvil's default chain id. */
    public static final long CHAIN_ID = 31337;
    /** Anvil's default mnemonic. */
    public static final String MNEMONIC = "test test test test test test test test test test test junk";
    /** Private key of anvil's first funded account (index 0 of {@link #MNEMONIC}). */
    public static final String FIRST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    /** Address of anvil's first funded account. */
    public static final String FIRST_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    private static final Logger LOG = Logger.getLogger(Devnet.class);
    private static final int GRACE_TICKS = 2;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RPC_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;

    /** Settings of {@link #start(Options)}; every setter returns {@code this}. */
    public static final class Options {
        private int nodeCount = 3;
        private Duration blockInterval = Duration.ofSeconds(1);
        private Path anvil;
        private Long genesisTimestamp;
        private boolean anvilLogs;

        /** Number of anvil nodes (default 3). */
        public Options nodeCount(int nodeCount) {
            if (nodeCount < 1) {
                throw new IllegalArgumentException("nodeCount must be at least 1: " + nodeCount);
            }
            this.nodeCount = nodeCount;
            return this;
        }

        /**
         * Time between automatic blocks (default 1s); {@code null} or zero: mine only on {@link #mineBlock()}. Block
         * timestamps advance by this interval in whole seconds (at least 1), so chain time follows the clock.
         */
        public Options blockInterval(Duration blockInterval) {
            this.blockInterval = blockInterval;
            return this;
        }

        /** The anvil binary (default: system property {@value #ANVIL_PROPERTY}, else {@link #DEFAULT_ANVIL}). */
        public Options anvil(Path anvil) {
            this.anvil = anvil;
            return this;
        }

        /** Unix time of the genesis block (default: now, in whole seconds). Block n has time genesis + n * step. */
        public Options genesisTimestamp(long genesisTimestamp) {
            this.genesisTimestamp = genesisTimestamp;
            return this;
        }

        /** Whether anvil logs every call to its log file (default false: {@code --quiet}, errors only). */
        public Options anvilLogs(boolean anvilLogs) {
            this.anvilLogs = anvilLogs;
            return this;
        }

        public int nodeCount() {
            return nodeCount;
        }

        public Duration blockInterval() {
            return blockInterval;
        }

        /** The configured binary, or the default one. */
        public Path anvil() {
            if (anvil != null) {
                return anvil;
            }
            String property = System.getProperty(ANVIL_PROPERTY);
            return property == null || property.isBlank() ? DEFAULT_ANVIL.toAbsolutePath() : Path.of(property);
        }
    }

    private static final class Node {
        final int index;
        final Path log;
        volatile int port;
        volatile URI url;
        volatile Process process;
        boolean held;
        long head;
        boolean needsSync;
        boolean downLogged;
        boolean unreachableLogged;

        Node(int index, Path log) {
            this.index = index;
            this.log = log;
        }

        boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }
    }

    private record Block(long number, String hash, long timestamp, String baseFee, List<String> txs) {
    }

    private final Path anvil;
    private final boolean anvilLogs;
    private final long genesisTimestamp;
    private final long timeStep;
    private final Path dir;
    private final List<Node> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private final AtomicLong ids = new AtomicLong();
    private final Object lock = new Object();
    private final Thread shutdownHook = new Thread(this::destroyProcesses, "railyard-devnet-shutdown");
    private ScheduledExecutorService scheduler;
    private volatile boolean closed;

    // Guarded by lock.
    private long chainId;
    private String genesisHash;
    private long height;
    private String headHash;
    private int divergentTicks;
    private boolean divergenceLogged;
    private boolean noNodeLogged;
    private String lastTickError;

    private Devnet(Options options, Path anvil, long genesisTimestamp) throws IOException {
        this.anvil = anvil;
        this.anvilLogs = options.anvilLogs;
        this.genesisTimestamp = genesisTimestamp;
        Duration interval = options.blockInterval;
        this.timeStep = interval == null || interval.isNegative() ? 1 : Math.max(1, (interval.toMillis() + 999) / 1000);
        this.dir = Files.createTempDirectory("railyard-devnet-");
        for (int i = 0; i < options.nodeCount; i++) {
            nodes.add(new Node(i, dir.resolve("anvil-" + i + ".log")));
        }
    }

    /** Starts the nodes, waits until they answer and share one genesis block, then starts mining. */
    public static Devnet start(Options options) {
        Path anvil = options.anvil();
        if (!Files.isRegularFile(anvil) || !Files.isExecutable(anvil)) {
            throw new IllegalStateException("anvil binary not found (or not executable) at " + anvil
                    + ": run `./mvnw -B initialize` in the project directory (it installs anvil with npm; needs Node.js 20+"
                    + " and npm on the PATH), or point -D" + ANVIL_PROPERTY + " at an anvil binary");
        }
        long genesis = options.genesisTimestamp != null ? options.genesisTimestamp : Instant.now().getEpochSecond();
        Devnet devnet;
        try {
            devnet = new Devnet(options, anvil, genesis);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the devnet's temporary directory", e);
        }
        Runtime.getRuntime().addShutdownHook(devnet.shutdownHook);
        try {
            devnet.startAll();
        } catch (RuntimeException | Error e) {
            devnet.close();
            throw e;
        }
        Duration interval = options.blockInterval;
        if (interval != null && !interval.isZero() && !interval.isNegative()) {
            devnet.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "railyard-devnet-miner");
                t.setDaemon(true);
                return t;
            });
            long ms = Math.max(1, interval.toMillis());
            // Fixed rate, so that chain time (genesis + n * step) keeps up with the clock.
            devnet.scheduler.scheduleAtFixedRate(devnet::tick, ms, ms, TimeUnit.MILLISECONDS);
        }
        return devnet;
    }

    /** Starts a devnet with the default options (3 nodes, a block a second). */
    public static Devnet start() {
        return start(new Options());
    }

    /** The nodes' JSON-RPC URLs, in node order. */
    public List<URI> urls() {
        return nodes.stream().map(n -> n.url).toList();
    }

    public URI url(int i) {
        return node(i).url;
    }

    public int nodeCount() {
        return nodes.size();
    }

    public long chainId() {
        synchronized (lock) {
            return chainId;
        }
    }

    public long genesisTimestamp() {
        return genesisTimestamp;
    }

    /** Seconds between consecutive block timestamps: block n has time {@code genesisTimestamp() + n * timeStep()}. */
    public long timeStep() {
        return timeStep;
    }

    /** The number of the devnet's latest block (what every node in sync reports as {@code latest}). */
    public long height() {
        synchronized (lock) {
            return height;
        }
    }

    /** The current process of node i (changes on {@link #restart(int)}). */
    public ProcessHandle process(int i) {
        Process p = node(i).process;
        if (p == null) {
            throw new IllegalStateException("devnet node " + i + " has no process");
        }
        return p.toHandle();
    }

    /**
     * Mines one lockstep block now: reconciles the pending transactions at once if they differ (no grace ticks),
     * then mines on every live node that is not held back.
     *
     * @return the new block's number
     * @throws IllegalStateException if no block could be mined
     */
    public long mineBlock() {
        synchronized (lock) {
            ensureOpen();
            mineOnce(true);
            return height;
        }
    }

    /** Stops mining node i: it lags from now on, and transactions sent to it stay in its pool. */
    public void holdBack(int i) {
        synchronized (lock) {
            ensureOpen();
            node(i).held = true;
        }
    }

    /** Makes a held-back node catch up (replaying the missed blocks) and mines it again from the next block. */
    public void release(int i) {
        synchronized (lock) {
            ensureOpen();
            Node n = node(i);
            if (!n.held) {
                return;
            }
            if (n.alive()) {
                resync(n, referenceFor(n));
            }
            n.held = false;
        }
    }

    /** Kills node i's process (SIGKILL) and waits for it to exit; mining skips it from then on. */
    public void kill(int i) {
        Node n = node(i);
        Process p = n.process;
        if (p != null) {
            p.destroyForcibly();
            awaitExit(p);
        }
    }

    /**
     * Starts node i again on the same port (killing it first if it runs) and replays the chain onto it. Needs
     * another node in sync to replay from; a held-back node catches up on {@link #release(int)} instead.
     */
    public void restart(int i) {
        synchronized (lock) {
            ensureOpen();
            Node n = node(i);
            kill(i);
            startNode(n, false);
            verifyGenesis(n, genesisHash);
            n.head = 0;
            n.needsSync = true;
            n.downLogged = false;
            n.unreachableLogged = false;
            if (!n.held) {
                resync(n, referenceFor(n));
            }
        }
    }

    /** Stops mining, kills every node and waits for the processes to exit. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        destroyProcesses();
        for (Node n : nodes) {
            Process p = n.process;
            if (p != null) {
                awaitExit(p);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down; the hook runs (harmlessly) anyway.
        }
        deleteDir();
    }

    // ---------------------------------------------------------------- startup

    private void startAll() {
        for (Node n : nodes) {
            startNode(n, true);
        }
        synchronized (lock) {
            Node first = nodes.get(0);
            chainId = hexLong(call(first, "eth_chainId"));
            Block genesis = block(first, 0);
            for (Node n : nodes) {
                long id = hexLong(call(n, "eth_chainId"));
                if (id != chainId) {
                    throw new IllegalStateException("devnet node " + n.index + " has chain id " + id + ", node 0 has " + chainId);
                }
                verifyGenesis(n, genesis.hash());
                Block latest = latest(n);
                if (latest.number() != 0) {
                    throw new IllegalStateException("devnet node " + n.index + " starts at block " + latest.number());
                }
            }
            genesisHash = genesis.hash();
            height = 0;
            headHash = genesisHash;
        }
    }

    private void startNode(Node n, boolean newPort) {
        IllegalStateException failure = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            if (newPort || n.port == 0) {
                n.port = freePort();
                n.url = URI.create("http://127.0.0.1:" + n.port);
            }
            Process p = launch(n);
            n.process = p;
            try {
                awaitReady(n, p);
                LOG.infof("Devnet node %d: %s (anvil pid %d, log %s)", n.index, n.url, p.pid(), n.log);
                return;
            } catch (IllegalStateException e) {
                p.destroyForcibly();
                awaitExit(p);
                failure = e;
                if (!logTail(n).contains("Address already in use")) {
                    throw e;
                }
                // Someone took the port between picking and binding: try another one (or the same one again).
            }
        }
        throw failure;
    }

    private Process launch(Node n) {
        List<String> command = new ArrayList<>(List.of(anvil.toString(),
                "--no-mining",
                "--timestamp", Long.toString(genesisTimestamp),
                "--host", "127.0.0.1",
                "--port", Integer.toString(n.port),
                "--chain-id", Long.toString(CHAIN_ID),
                "--mnemonic", MNEMONIC,
                "--accounts", "10",
                "--balance", "10000"));
        if (!anvilLogs) {
            command.add("--quiet");
        }
        try {
            return new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(n.log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start anvil (" + anvil + ") for devnet node " + n.index, e);
        }
    }

    private void awaitReady(Node n, Process p) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("anvil for devnet node " + n.index + " (port " + n.port
                        + ") exited with status " + p.exitValue() + "; log " + n.log + " ends with:\n" + logTail(n));
            }
            try {
                call(n, "eth_chainId", Duration.ofSeconds(1));
                return;
            } catch (RuntimeException e) {
                last = e;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting devnet node " + n.index, e);
            }
        }
        throw new IllegalStateException("anvil for devnet node " + n.index + " did not answer eth_chainId on " + n.url
                + " within " + START_TIMEOUT.toSeconds() + "s (" + (last == null ? "" : last.getMessage()) + "); log "
                + n.log + " ends with:\n" + logTail(n));
    }

    private void verifyGenesis(Node n, String expected) {
        String hash = block(n, 0).hash();
        if (!hash.equals(expected)) {
            throw new IllegalStateException("devnet node " + n.index + " has genesis " + hash + ", expected " + expected);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free loopback port", e);
        }
    }

    private String logTail(Node n) {
        try {
            byte[] bytes = Files.readAllBytes(n.log);
            int from = Math.max(0, bytes.length - 2000);
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + n.log + ": " + e.getMessage() + ")";
        }
    }

    // ---------------------------------------------------------------- mining

    private void tick() {
        try {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                mineOnce(false);
                lastTickError = null;
            }
        } catch (Throwable t) {
            if (closed) {
                return;
            }
            String message = String.valueOf(t.getMessage());
            if (!message.equals(lastTickError)) {
                LOG.warnf(t, "Devnet: mining tick failed: %s", message);
                lastTickError = message;
            }
        }
    }

    /** One lockstep block; with {@code force}, reconcile pools at once and throw if nothing could be mined. */
    private boolean mineOnce(boolean force) {
        List<Node> ready = readyNodes(force);
        if (ready.isEmpty()) {
            return false;
        }

        Map<Node, List<String>> pending = readPending(ready);
        if (ready.isEmpty()) {
            return fail(force, "no devnet node answered");
        }
        if (!allEqual(pending)) {
            divergentTicks++;
            if (!divergenceLogged) {
                LOG.infof("Devnet: pending transactions differ before block %d (%s); %s", height + 1, pendingSummary(pending),
                        force ? "reconciling now" : "waiting for in-flight broadcasts");
                divergenceLogged = true;
            }
            boolean sameSets = pending.values().stream().map(HashSet::new).distinct().count() == 1;
            if (!force && !sameSets && divergentTicks <= GRACE_TICKS) {
                return false;
            }
            reconcile(ready, pending);
            pending = readPending(ready);
            if (ready.isEmpty() || !allEqual(pending)) {
                return fail(force, "pending transactions still differ after reconciling: " + pendingSummary(pending));
            }
        }
        divergentTicks = 0;
        divergenceLogged = false;

        long number = height + 1;
        long timestamp = genesisTimestamp + number * timeStep;
        List<Node> mined = new ArrayList<>();
        Map<Node, RuntimeException> failures = new HashMap<>();
        for (Node n : ready) {
            try {
                call(n, "evm_mine", timestamp);
                mined.add(n);
            } catch (RuntimeException e) {
                failures.put(n, e);
            }
        }
        Map<Node, Block> heads = new LinkedHashMap<>();
        for (Node n : mined) {
            try {
                heads.put(n, latest(n));
            } catch (RuntimeException e) {
                failures.put(n, e);
            }
        }
        // The canonical block is the one most nodes made (ties: the lowest node index).
        Map<String, Integer> votes = new HashMap<>();
        String canonical = null;
        int best = 0;
        for (Block b : heads.values()) {
            if (b.number() == number) {
                int v = votes.merge(b.hash(), 1, Integer::sum);
                if (v > best) {
                    best = v;
                    canonical = b.hash();
                }
            }
        }
        if (canonical == null) {
            for (Node n : ready) {
                n.needsSync = true;
            }
            return fail(force, "no devnet node made block " + number + failureSummary(failures));
        }
        height = number;
        headHash = canonical;
        Node reference = null;
        for (Map.Entry<Node, Block> e : heads.entrySet()) {
            if (e.getValue().number() == number && e.getValue().hash().equals(canonical)) {
                e.getKey().head = number;
                if (reference == null) {
                    reference = e.getKey();
                }
            }
        }
        // Repair at once every node that did not make the canonical block: one that made another block (a
        // transaction arrived after the check, or someone mined it directly), or one whose evm_mine failed.
        for (Node n : ready) {
            Block b = heads.get(n);
            if (b != null && b.number() == number && b.hash().equals(canonical)) {
                continue;
            }
            n.needsSync = true;
            if (!n.alive()) {
                continue;
            }
            LOG.warnf("Devnet: node %d %s; repairing it", n.index, b != null
                    ? "made block " + b.number() + " " + b.hash() + " instead of " + number + " " + canonical
                    : "did not make block " + number + " (" + failures.get(n).getMessage() + ")");
            try {
                resync(n, reference);
            } catch (RuntimeException e) {
                unreachable(n, e);
            }
        }
        return true;
    }

    private boolean fail(boolean force, String message) {
        if (force) {
            throw new IllegalStateException("Devnet: cannot mine block " + (height + 1) + ": " + message);
        }
        return false;
    }

    /** Live, not held-back nodes at the devnet's head (catching up the ones that are not), in node order. */
    private List<Node> readyNodes(boolean force) {
        List<Node> candidates = new ArrayList<>();
        for (Node n : nodes) {
            if (n.held) {
                continue;
            }
            if (!n.alive()) {
                if (!n.downLogged) {
                    LOG.infof("Devnet: node %d (%s) is down; mining without it", n.index, n.url);
                    n.downLogged = true;
                }
                n.needsSync = true;
                continue;
            }
            candidates.add(n);
        }
        List<Node> ready = new ArrayList<>();
        List<Node> stale = new ArrayList<>();
        for (Node n : candidates) {
            if (!n.needsSync && n.head == height) {
                ready.add(n);
                continue;
            }
            try {
                Block latest = latest(n);
                if (latest.number() == height && latest.hash().equals(headHash)) {
                    recovered(n);
                    ready.add(n);
                } else {
                    stale.add(n);
                }
            } catch (RuntimeException e) {
                unreachable(n, e);
            }
        }
        if (ready.isEmpty()) {
            if (!noNodeLogged) {
                LOG.warnf("Devnet: no live node is at block %d; mining paused", height);
                noNodeLogged = true;
            }
            fail(force, "no live node at block " + height + " (held back, down or out of sync)");
            return ready;
        }
        noNodeLogged = false;
        for (Node n : stale) {
            try {
                resync(n, ready.get(0));
                ready.add(n);
            } catch (RuntimeException e) {
                unreachable(n, e);
            }
        }
        ready.sort(Comparator.comparingInt(n -> n.index));
        return ready;
    }

    private Map<Node, List<String>> readPending(List<Node> ready) {
        Map<Node, List<String>> pending = new LinkedHashMap<>();
        for (Node n : new ArrayList<>(ready)) {
            try {
                pending.put(n, pendingHashes(n));
            } catch (RuntimeException e) {
                ready.remove(n);
                unreachable(n, e);
            }
        }
        return pending;
    }

    /**
     * Copies transactions a node lacks from a node that has them, then re-feeds (drop all, resend in the first
     * node's order) every node whose pending block still lists the transactions in a different order.
     */
    private void reconcile(List<Node> ready, Map<Node, List<String>> pending) {
        Map<String, Node> holder = new LinkedHashMap<>();
        pending.forEach((n, txs) -> txs.forEach(h -> holder.putIfAbsent(h, n)));
        for (Node n : ready) {
            Set<String> has = new HashSet<>(pending.get(n));
            for (Map.Entry<String, Node> e : holder.entrySet()) {
                if (!has.contains(e.getKey())) {
                    String raw = rawTx(e.getValue(), e.getKey());
                    if (raw != null) {
                        sendQuietly(n, raw);
                    }
                }
            }
        }
        Map<Node, List<String>> now = readPending(ready);
        if (ready.isEmpty() || allEqual(now)) {
            return;
        }
        Node reference = ready.get(0);
        List<String> order = now.get(reference);
        List<String> raws = new ArrayList<>();
        for (String h : order) {
            String raw = rawTx(reference, h);
            if (raw != null) {
                raws.add(raw);
            }
        }
        for (Node n : ready) {
            if (n != reference && !now.get(n).equals(order)) {
                List<String> saved = poolRaws(n);
                call(n, "anvil_dropAllTransactions");
                for (String raw : raws) {
                    sendQuietly(n, raw);
                }
                saved.forEach(raw -> sendQuietly(n, raw));
            }
        }
    }

    /**
     * Brings node n to the devnet's head: rolls back blocks it made that are not canonical, then replays the
     * canonical blocks (raw transactions in block order into an emptied pool, then {@code evm_mine} with the
     * block's timestamp) from the reference node, verifying the hashes; finally resends what was in its pool.
     */
    private void resync(Node n, Node reference) {
        if (reference == null || reference == n) {
            throw new IllegalStateException("no devnet node in sync to replay node " + n.index + " from");
        }
        long head = latest(n).number();
        long common = Math.min(head, height);
        while (common > 0 && !block(n, common).hash().equals(block(reference, common).hash())) {
            common--;
        }
        List<String> leftovers = new ArrayList<>();
        for (long k = common + 1; k <= head; k++) {
            for (String h : block(n, k).txs()) {
                String raw = rawTx(n, h);
                if (raw != null) {
                    leftovers.add(raw);
                }
            }
        }
        leftovers.addAll(poolRaws(n));
        if (head > common) {
            call(n, "anvil_rollback", head - common);
        }
        call(n, "anvil_dropAllTransactions");
        for (long k = common + 1; k <= height; k++) {
            Block b = block(reference, k);
            if (k == common + 1 && head > common) {
                // anvil_rollback restores the state but not the fee manager: the next base fee would still be derived
                // from the rolled-back block, so the replayed block would differ. Set it to the canonical one.
                call(n, "anvil_setNextBlockBaseFeePerGas", b.baseFee());
            }
            for (String h : b.txs()) {
                String raw = rawTx(reference, h);
                if (raw == null) {
                    throw new IllegalStateException("node " + reference.index + " has no raw transaction " + h);
                }
                call(n, "eth_sendRawTransaction", raw);
            }
            call(n, "evm_mine", b.timestamp());
            if (!b.txs().isEmpty() || k == height) {
                Block made = latest(n);
                if (made.number() != k || !made.hash().equals(b.hash())) {
                    throw new IllegalStateException("replaying block " + k + " on devnet node " + n.index + " made "
                            + made.hash() + " (block " + made.number() + "), expected " + b.hash());
                }
            }
        }
        leftovers.forEach(raw -> sendQuietly(n, raw));
        if (head != height || common != height) {
            LOG.infof("Devnet: node %d caught up from block %d to %d", n.index, common, height);
        }
        n.head = height;
        recovered(n);
    }

    /** A node in sync to replay node n from, or null. */
    private Node referenceFor(Node n) {
        for (Node r : nodes) {
            if (r != n && !r.held && r.alive() && !r.needsSync && r.head == height) {
                return r;
            }
        }
        return null;
    }

    private void unreachable(Node n, RuntimeException e) {
        n.needsSync = true;
        if (!n.unreachableLogged && n.alive() && !closed) {
            LOG.warnf("Devnet: node %d (%s) failed: %s; it catches up when it answers again", n.index, n.url, e.getMessage());
            n.unreachableLogged = true;
        }
    }

    private void recovered(Node n) {
        n.needsSync = false;
        n.unreachableLogged = false;
        n.downLogged = false;
    }

    private static boolean allEqual(Map<Node, List<String>> pending) {
        return pending.values().stream().distinct().count() <= 1;
    }

    private static String failureSummary(Map<Node, RuntimeException> failures) {
        return failures.entrySet().stream()
                .map(e -> "; node " + e.getKey().index + ": " + e.getValue().getMessage())
                .collect(Collectors.joining());
    }

    private static String pendingSummary(Map<Node, List<String>> pending) {
        return pending.entrySet().stream()
                .map(e -> "node " + e.getKey().index + ": " + e.getValue().size() + " tx"
                        + e.getValue().stream().map(h -> h.substring(0, Math.min(10, h.length())))
                                .collect(Collectors.joining(",", " [", "]")))
                .collect(Collectors.joining("; "));
    }

    // ---------------------------------------------------------------- JSON-RPC

    private List<String> pendingHashes(Node n) {
        Object result = call(n, "eth_getBlockByNumber", "pending", false);
        if (!(result instanceof JsonObject block)) {
            throw new IllegalStateException("node " + n.index + " returned no pending block");
        }
        return strings(block.getJsonArray("transactions"));
    }

    /** Raw transactions of node n's pool (pending then queued, by sender and nonce). */
    private List<String> poolRaws(Node n) {
        Object result = call(n, "txpool_content");
        List<String> raws = new ArrayList<>();
        if (!(result instanceof JsonObject content)) {
            return raws;
        }
        for (String section : List.of("pending", "queued")) {
            JsonObject bySender = content.getJsonObject(section);
            if (bySender == null) {
                continue;
            }
            for (String sender : bySender.fieldNames().stream().sorted().toList()) {
                JsonObject byNonce = bySender.getJsonObject(sender);
                List<String> nonces = byNonce.fieldNames().stream()
                        .sorted(Comparator.comparingLong(Long::parseLong)).toList();
                for (String nonce : nonces) {
                    String hash = byNonce.getJsonObject(nonce).getString("hash");
                    String raw = hash == null ? null : rawTx(n, hash);
                    if (raw != null) {
                        raws.add(raw);
                    }
                }
            }
        }
        return raws;
    }

    private String rawTx(Node n, String hash) {
        Object raw = call(n, "eth_getRawTransactionByHash", hash);
        return raw instanceof String s && s.length() > 2 ? s : null;
    }

    private void sendQuietly(Node n, String raw) {
        try {
            call(n, "eth_sendRawTransaction", raw);
        } catch (RpcError e) {
            // Already known, or mined meanwhile (nonce too low): nothing to do.
            LOG.debugf("Devnet: node %d refused a resent transaction: %s", n.index, e.getMessage());
        }
    }

    private Block latest(Node n) {
        return toBlock(n, call(n, "eth_getBlockByNumber", "latest", false), "latest");
    }

    private Block block(Node n, long number) {
        return toBlock(n, call(n, "eth_getBlockByNumber", "0x" + Long.toHexString(number), false), Long.toString(number));
    }

    private static Block toBlock(Node n, Object result, String tag) {
        if (!(result instanceof JsonObject b)) {
            throw new IllegalStateException("devnet node " + n.index + " has no block " + tag);
        }
        return new Block(hexLong(b.getString("number")), b.getString("hash"), hexLong(b.getString("timestamp")),
                b.getString("baseFeePerGas"), strings(b.getJsonArray("transactions")));
    }

    private static List<String> strings(JsonArray array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            for (Object o : array) {
                out.add(o instanceof JsonObject tx ? tx.getString("hash") : (String) o);
            }
        }
        return out;
    }

    private static long hexLong(Object value) {
        if (!(value instanceof String s) || !s.startsWith("0x")) {
            throw new IllegalStateException("not a hex quantity: " + value);
        }
        return Long.parseUnsignedLong(s.substring(2), 16);
    }

    /** A JSON-RPC error answer (as opposed to a transport failure). */
    private static final class RpcError extends IllegalStateException {
        RpcError(String message) {
            super(message);
        }
    }

    private Object call(Node n, String method, Object... params) {
        return call(n, method, RPC_TIMEOUT, params);
    }

    private Object call(Node n, String method, Duration timeout, Object... params) {
        JsonObject request = new JsonObject()
                .put("jsonrpc", "2.0")
                .put("id", ids.incrementAndGet())
                .put("method", method)
                .put("params", new JsonArray(new ArrayList<>(Arrays.asList(params))));
        HttpRequest http = HttpRequest.newBuilder(n.url)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.encode()))
                .build();
        HttpResponse<String> response;
        try {
            response = this.http.send(http, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " on devnet node " + n.index + " (" + n.url + ") failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + " on devnet node " + n.index + " interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException(method + " on devnet node " + n.index + ": HTTP " + response.statusCode()
                    + " " + response.body());
        }
        JsonObject body = new JsonObject(response.body());
        JsonObject error = body.getJsonObject("error");
        if (error != null) {
            throw new RpcError(method + " on devnet node " + n.index + ": " + error.encode());
        }
        return body.getValue("result");
    }

    // ---------------------------------------------------------------- shutdown

    private Node node(int i) {
        Objects.checkIndex(i, nodes.size());
        return nodes.get(i);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the devnet is closed");
        }
    }

    private void destroyProcesses() {
        for (Node n : nodes) {
            Process p = n.process;
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    private static void awaitExit(Process p) {
        try {
            if (!p.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("Devnet: anvil pid %d did not exit within %ds", p.pid(), EXIT_TIMEOUT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deleteDir() {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debugf("Devnet: cannot delete %s: %s", dir, e.getMessage());
        }
    }
}
