package io.railyard.devnet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.railyard.devnet.NodeRpc.Block;

/**
 * A local devnet: N anvil processes on loopback ports that hold ONE chain. Anvil nodes do not peer, so the devnet
 * mines them in lockstep: every node starts from the same genesis and every block is mined on every node once all of
 * them hold the same pending transactions in the same order ({@link LockstepMiner}); a node that forked anyway, was
 * held back, restarted or unreachable is brought back by replaying the canonical blocks from a node in sync
 * ({@link ChainRepair}). {@link AnvilProcesses} runs the anvil processes, {@link NodeRpc} talks to them.
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
    private static final Duration SCHEDULER_STOP_TIMEOUT = Duration.ofSeconds(10);

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

    private final long genesisTimestamp;
    private final long timeStep;
    private final List<Node> nodes = new ArrayList<>();
    private final NodeRpc rpc = new NodeRpc();
    private final AnvilProcesses processes;
    private final ChainHead head = new ChainHead();
    private final ChainRepair repair;
    private final LockstepMiner miner;
    private final Object lock = new Object();
    private final Thread shutdownHook = new Thread(this::destroyProcesses, "railyard-devnet-shutdown");
    private ScheduledExecutorService scheduler;
    private volatile boolean closed;

    // Guarded by lock (as are head, the nodes' bookkeeping, and the miner's and repairer's work).
    private long chainId;
    private String genesisHash;
    private String lastTickError;

    private Devnet(Options options, Path anvil, long genesisTimestamp) throws IOException {
        this.genesisTimestamp = genesisTimestamp;
        Duration interval = options.blockInterval;
        this.timeStep = interval == null || interval.isNegative() ? 1 : Math.max(1, (interval.toMillis() + 999) / 1000);
        this.processes = new AnvilProcesses(anvil, options.anvilLogs, genesisTimestamp, rpc);
        for (int i = 0; i < options.nodeCount; i++) {
            nodes.add(new Node(i, processes.logFile(i)));
        }
        this.repair = new ChainRepair(nodes, head, rpc);
        this.miner = new LockstepMiner(nodes, head, rpc, repair, genesisTimestamp, timeStep, () -> closed);
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
            return head.height;
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
            miner.mineOnce(true);
            return head.height;
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
                repair.resync(n, repair.referenceFor(n));
            }
            n.held = false;
        }
    }

    /** Kills node i's process (SIGKILL) and waits for it to exit; mining skips it from then on. */
    public void kill(int i) {
        processes.kill(node(i));
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
            processes.start(n, false);
            processes.verifyGenesis(n, genesisHash);
            n.head = 0;
            n.needsSync = true;
            n.downLogged = false;
            n.unreachableLogged = false;
            if (!n.held) {
                repair.resync(n, repair.referenceFor(n));
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
                scheduler.awaitTermination(SCHEDULER_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        destroyProcesses();
        processes.awaitAllExited(nodes);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down; the hook runs (harmlessly) anyway.
        }
        processes.deleteDir();
    }

    // ---------------------------------------------------------------- startup

    /** Starts every node, then checks that they all hold one chain: same chain id, same genesis, no block yet. */
    private void startAll() {
        for (Node n : nodes) {
            processes.start(n, true);
        }
        synchronized (lock) {
            Node first = nodes.get(0);
            chainId = NodeRpc.hexLong(rpc.call(first, "eth_chainId"));
            Block genesis = rpc.block(first, 0);
            for (Node n : nodes) {
                long id = NodeRpc.hexLong(rpc.call(n, "eth_chainId"));
                if (id != chainId) {
                    throw new IllegalStateException("devnet node " + n.index + " has chain id " + id + ", node 0 has " + chainId);
                }
                processes.verifyGenesis(n, genesis.hash());
                Block latest = rpc.latest(n);
                if (latest.number() != 0) {
                    throw new IllegalStateException("devnet node " + n.index + " starts at block " + latest.number());
                }
            }
            genesisHash = genesis.hash();
            head.set(0, genesisHash);
        }
    }

    // ---------------------------------------------------------------- mining

    /** The scheduler's block: a failure is logged once (not on every tick) until the message changes or a block is mined. */
    private void tick() {
        try {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                miner.mineOnce(false);
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

    // ---------------------------------------------------------------- helpers

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
        processes.destroyAll(nodes);
    }
}
