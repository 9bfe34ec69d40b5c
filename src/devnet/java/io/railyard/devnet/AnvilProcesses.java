package io.railyard.devnet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

/**
 * Supervises the devnet's anvil processes: launches each on a free loopback port from the shared genesis
 * ({@code --no-mining --timestamp <genesis>}, same mnemonic and chain id, so that every node starts with the same
 * genesis block), waits until it answers, kills it, and keeps its output in a log file of a temporary directory
 * (removed by {@link #deleteDir()}) for the error messages.
 */
final class AnvilProcesses {

    // The devnet logs under one category, whichever of its classes speaks.
    private static final Logger LOG = Logger.getLogger(Devnet.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;

    private final Path anvil;
    private final boolean anvilLogs;
    private final long genesisTimestamp;
    private final NodeRpc rpc;
    private final Path dir;

    /** Creates the temporary directory of the nodes' logs. */
    AnvilProcesses(Path anvil, boolean anvilLogs, long genesisTimestamp, NodeRpc rpc) throws IOException {
        this.anvil = anvil;
        this.anvilLogs = anvilLogs;
        this.genesisTimestamp = genesisTimestamp;
        this.rpc = rpc;
        this.dir = Files.createTempDirectory("railyard-devnet-");
    }

    /** Where node i's anvil writes its output. */
    Path logFile(int i) {
        return dir.resolve("anvil-" + i + ".log");
    }

    /**
     * Launches anvil for node n and waits until it answers; with {@code newPort} (or if it never had one) on a fresh
     * free port, else on its old one, so that its URL stays the same across restarts.
     */
    void start(Node n, boolean newPort) {
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
                "--chain-id", Long.toString(Devnet.CHAIN_ID),
                "--mnemonic", Devnet.MNEMONIC,
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
                rpc.call(n, "eth_chainId", Duration.ofSeconds(1));
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

    /** Throws unless node n's block 0 is the expected one (a node on another genesis would never be in sync). */
    void verifyGenesis(Node n, String expected) {
        String hash = rpc.block(n, 0).hash();
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

    /** Kills node n's current process (SIGKILL), if it has one, and waits for it to exit. */
    void kill(Node n) {
        Process p = n.process;
        if (p != null) {
            p.destroyForcibly();
            awaitExit(p);
        }
    }

    /** Sends SIGKILL to every node's process without waiting: safe in a shutdown hook. */
    void destroyAll(List<Node> nodes) {
        for (Node n : nodes) {
            Process p = n.process;
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    /** Waits for every node's process to exit (after {@link #destroyAll(List)}). */
    void awaitAllExited(List<Node> nodes) {
        for (Node n : nodes) {
            Process p = n.process;
            if (p != null) {
                awaitExit(p);
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

    void deleteDir() {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debugf("Devnet: cannot delete %s: %s", dir, e.getMessage());
        }
    }
}
