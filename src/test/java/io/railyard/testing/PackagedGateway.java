package io.railyard.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged gateway ({@code target/quarkus-app/quarkus-run.jar}) run as a process of its own, for the failsafe
 * integration tests that need what a {@code @QuarkusTest} cannot give: a real SIGTERM, a heap and file descriptors
 * of its own. It runs with {@code -Xmx256m} on a free loopback port and serves one network, {@code testnet}
 * (chain 1), whose only upstream {@code node-0} is the node given; its management interface (health, metrics,
 * status) listens on a second free loopback port; its output goes to {@code target/NAME.log}.
 * {@link #close} kills it if it is still running.
 */
public final class PackagedGateway implements AutoCloseable {

    public static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final long READY_SECONDS = 45;

    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private PackagedGateway(Process process, int port, int managementPort, Path log) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /**
     * Starts the gateway and returns once {@code /q/health/ready} says UP.
     *
     * @param name       names the log file, {@code target/NAME.log}
     * @param nodeUrl    the only upstream of network {@code testnet}
     * @param jvmOptions further {@code -D} (or {@code -X}) options; they come after the defaults, so they win
     */
    public static PackagedGateway start(String name, String nodeUrl, String... jvmOptions) throws IOException, InterruptedException {
        if (!Files.isRegularFile(JAR)) {
            throw new AssertionError(JAR.toAbsolutePath() + " is missing: this integration test runs the packaged gateway;"
                    + " run `./mvnw verify` (or `./mvnw package` first)");
        }
        int port = freePort();
        int managementPort = freePort();
        Path log = Path.of("target", name + ".log");
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.management.port=" + managementPort,
                "-Drailyard.networks.testnet.chain-id=1",
                "-Drailyard.networks.testnet.upstreams.node-0.url=" + nodeUrl));
        command.addAll(Arrays.asList(jvmOptions));
        command.addAll(List.of("-jar", JAR.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PackagedGateway gateway = new PackagedGateway(process, port, managementPort, log);
        try {
            gateway.awaitReady();
        } catch (RuntimeException | Error | InterruptedException e) {
            gateway.close();
            throw e;
        }
        return gateway;
    }

    private void awaitReady() throws InterruptedException {
        HttpRequest ready = HttpRequest.newBuilder(managementUri("/q/health/ready")).timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the gateway exited at startup (" + process.exitValue() + "); log:\n" + logTail());
            }
            try {
                HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && new JsonObject(r.body()).getString("status").equals("UP")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the gateway did not become ready within " + READY_SECONDS + " s; log:\n" + logTail());
    }

    /** An HTTP/1.1 client (2 s connect timeout) for talking to the gateway. */
    public HttpClient http() {
        return http;
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT} followed by {@code path}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** {@code http://127.0.0.1:MANAGEMENT_PORT} followed by {@code path}: health, metrics, status. */
    public URI managementUri(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /** Everything the gateway has written so far. */
    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** The last 40 lines of its output, for failure messages. */
    public String logTail() {
        try {
            String[] lines = output().split("\n");
            return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 40), lines.length));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The process's resident set size in bytes ({@code VmRSS} of {@code /proc/PID/status}). */
    public long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new AssertionError("no VmRSS in /proc/" + pid() + "/status");
    }

    /** Runs a full collection in the gateway ({@code jcmd PID GC.run}) and waits for it. */
    public void collectGarbage() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), String.valueOf(pid()), "GC.run").redirectErrorStream(true).start();
        String output = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!gc.waitFor(30, TimeUnit.SECONDS) || gc.exitValue() != 0) {
            throw new AssertionError("jcmd GC.run: " + output);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
