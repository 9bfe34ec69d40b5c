package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.testing.LogCapture;
import io.railyard.testing.Metrics;
import io.railyard.testing.ReadLoad;
import io.railyard.testing.Signals;
import io.railyard.upstream.HealthChecker;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on real nodes under concurrent load: three anvil nodes behind the gateway (network {@code rr}), sixteen
 * client threads reading and one web3j writer sending value transfers, all through the gateway, for about fifteen
 * seconds. Meanwhile one node is killed with SIGKILL, another is frozen with SIGSTOP for four seconds and thawed,
 * and the killed one is restarted. No read may fail; every transfer is mined exactly once (consecutive nonces, one
 * receipt per hash, the same on every node, and the recipient's balance up by exactly the sum sent); and the
 * gateway's log tells what happened: each node ejected, then readmitted.
 */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class DevnetFaultTest {

    private static final String NETWORK = "rr";
    private static final int READERS = 16;
    private static final int MAX_READS_PER_THREAD = 4000;
    private static final int MAX_TRANSFERS = 60;
    /** What the readers ask, in turn. */
    private static final List<String> READS = List.of(
            "\"method\":\"eth_blockNumber\",\"params\":[]",
            "\"method\":\"eth_getBalance\",\"params\":[\"" + Devnet.FIRST_ADDRESS + "\",\"latest\"]",
            "\"method\":\"eth_getBlockByNumber\",\"params\":[\"latest\",false]",
            "\"method\":\"eth_getTransactionCount\",\"params\":[\"" + Devnet.FIRST_ADDRESS + "\",\"pending\"]",
            "\"method\":\"eth_chainId\",\"params\":[]",
            "\"method\":\"eth_getBlockByNumber\",\"params\":[\"0x0\",false]",
            "\"method\":\"eth_gasPrice\",\"params\":[]");
    private static final BigInteger GAS_LIMIT = BigInteger.valueOf(21_000);

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void killFreezeAndRestartNodesUnderLoadFailNoReadAndMineEveryTransferExactlyOnce() throws Exception {
        UpstreamPool pool = pools.pool(NETWORK);
        Await.allHealthy(pool);
        Upstream killed = pool.byName("anvil-1");
        Upstream frozen = pool.byName("anvil-2");
        String recipient = "0x" + String.format("%040x", new BigInteger(159, new Random(42)));
        String metricsBefore = Metrics.scrape();

        LogCapture log = LogCapture.ofPackage(HealthChecker.class);
        Writer writer = new Writer(through(NETWORK), recipient);
        List<String> story = new ArrayList<>();
        long started = System.nanoTime();
        ReadLoad readers = null;
        ProcessHandle frozenProcess = null;
        try {
            readers = ReadLoad.start(URI.create(gateway + NETWORK), READERS, MAX_READS_PER_THREAD, READS);
            writer.start();
            pause(started, 2000);
            devnet.kill(1);
            story.add(at(started) + " anvil-1 killed (SIGKILL)");
            pause(started, 4500);
            frozenProcess = devnet.process(2);
            Signals.stop(frozenProcess.pid());
            story.add(at(started) + " anvil-2 frozen (SIGSTOP)");
            pause(started, 8500);
            Signals.resume(frozenProcess.pid());
            frozenProcess = null;
            story.add(at(started) + " anvil-2 thawed (SIGCONT)");
            pause(started, 9500);
            devnet.restart(1);
            story.add(at(started) + " anvil-1 restarted");
            pause(started, 14_000);
        } finally {
            if (frozenProcess != null) {
                Signals.resume(frozenProcess.pid());
            }
            if (readers != null) {
                readers.stop();
            }
            writer.stop();
        }
        story.add(at(started) + " load stopped");
        Await.until("anvil-1 and anvil-2 readmitted", () -> killed.isHealthy() && frozen.isHealthy());
        story.add(at(started) + " every node healthy again");
        log.close();

        System.out.printf("[fault] %s%n[fault] reads: %d, failed %d, slowest %d ms; transfers: %d sent, %d send errors%n",
                String.join("; ", story), readers.total.get(), readers.failed.get(), readers.slowestMs.get(),
                writer.sent.size(), writer.errors.size());
        List<String> events = log.messages().stream().filter(m -> m != null && m.startsWith(NETWORK + "/")).toList();
        System.out.printf("[fault] gateway log (%s/*):%n  %s%n", NETWORK, String.join("\n  ", events));

        // Reads: none failed.
        assertTrue(readers.total.get() >= READERS * 20, "the load was real: " + readers.total.get() + " reads");
        assertEquals(0, readers.failed.get(), "failed reads: " + readers.failures);

        // Writes: every transfer was accepted, and mined exactly once.
        assertTrue(writer.sent.size() >= 5, "transfers sent: " + writer.sent.size());
        assertEquals(List.of(), writer.errors, "every send was answered with its transaction hash");
        verifyTransfers(writer, recipient);

        // The log tells the story: each faulty node ejected, then readmitted, once each, in that order.
        for (Upstream u : List.of(killed, frozen)) {
            List<String> ejected = log.matching(u + " ejected");
            List<String> readmitted = log.matching(u + " readmitted");
            assertEquals(1, ejected.size(), u + " ejected once: " + events);
            assertEquals(1, readmitted.size(), u + " readmitted once: " + events);
            assertTrue(events.indexOf(ejected.get(0)) < events.indexOf(readmitted.get(0)), "ejected, then readmitted: " + events);
        }
        // Killed mid-request, the node first shows up as closed connections, then as refused ones: either names the kill.
        String killedReason = log.matching(killed + " ejected").get(0);
        assertTrue(killedReason.contains("Connection refused") || killedReason.contains("Connection was closed")
                        || killedReason.contains("Connection reset"),
                "anvil-1 was ejected for its dead connections: " + events);
        assertTrue(log.matching(frozen + " ejected").get(0).contains("no answer within"),
                "anvil-2 was ejected because it stopped answering: " + events);
        for (String healthy : List.of("anvil-0")) {
            assertTrue(log.matching(NETWORK + "/" + healthy + " ejected").isEmpty(), healthy + " was never ejected: " + events);
        }
        String metricsAfter = Metrics.scrape();
        for (String name : List.of("anvil-1", "anvil-2")) {
            double ejections = 0;
            for (String reason : List.of("probe_failures", "circuit_breaker")) {
                String series = "railyard_upstream_ejections_total{network=\"" + NETWORK + "\",reason=\"" + reason + "\",upstream=\"" + name + "\"}";
                ejections += Metrics.value(metricsAfter, series) - Metrics.value(metricsBefore, series);
            }
            assertEquals(1, ejections, name + ": one ejection counted in railyard_upstream_ejections_total");
        }
    }

    // ---------------------------------------------------------------- checking the writes

    private void verifyTransfers(Writer writer, String recipient) {
        List<Transfer> sent = writer.sent;
        // Consecutive nonces, unique hashes.
        Set<String> hashes = new HashSet<>();
        for (int i = 0; i < sent.size(); i++) {
            assertEquals(writer.firstNonce.add(BigInteger.valueOf(i)), sent.get(i).nonce(), "transfer " + i + ": nonce");
            assertTrue(hashes.add(sent.get(i).hash()), "transfer " + i + ": a new hash");
        }
        // Every transfer mined, once, in the same block on every node.
        Await.until("every transfer has a receipt on every node", () -> {
            for (Transfer t : sent) {
                for (int n = 0; n < devnet.nodeCount(); n++) {
                    if (!(rpc(devnet.url(n), "eth_getTransactionReceipt", "[\"" + t.hash() + "\"]").getValue("result") instanceof JsonObject)) {
                        return false;
                    }
                }
            }
            return true;
        });
        Set<String> blockAndIndex = new HashSet<>();
        for (Transfer t : sent) {
            JsonObject first = null;
            for (int n = 0; n < devnet.nodeCount(); n++) {
                JsonObject receipt = rpc(devnet.url(n), "eth_getTransactionReceipt", "[\"" + t.hash() + "\"]").getJsonObject("result");
                assertEquals("0x1", receipt.getString("status"), t.hash());
                if (first == null) {
                    first = receipt;
                    assertTrue(blockAndIndex.add(receipt.getString("blockNumber") + "/" + receipt.getString("transactionIndex")));
                } else {
                    assertEquals(first.getString("blockHash"), receipt.getString("blockHash"), "node " + n + " mined " + t.hash() + " alike");
                }
            }
            JsonObject tx = rpc(devnet.url(0), "eth_getTransactionByHash", "[\"" + t.hash() + "\"]").getJsonObject("result");
            assertEquals(t.nonce(), Numeric.decodeQuantity(tx.getString("nonce")), "the mined transaction has the nonce it was signed with");
        }
        // Nothing else was sent from the account, and the recipient got exactly what was sent, once.
        BigInteger nonceNow = Numeric.decodeQuantity(rpc(devnet.url(0), "eth_getTransactionCount",
                "[\"" + Devnet.FIRST_ADDRESS + "\",\"latest\"]").getString("result"));
        assertEquals(writer.firstNonce.add(BigInteger.valueOf(sent.size())), nonceNow, "the sender's nonce moved once per transfer");
        BigInteger expected = sent.stream().map(Transfer::value).reduce(BigInteger.ZERO, BigInteger::add);
        for (int n = 0; n < devnet.nodeCount(); n++) {
            BigInteger balance = Numeric.decodeQuantity(rpc(devnet.url(n), "eth_getBalance", "[\"" + recipient + "\",\"latest\"]")
                    .getString("result"));
            assertEquals(expected, balance, "node " + n + ": the recipient's balance is the sum sent, each transfer counted once");
        }
    }

    // ---------------------------------------------------------------- load

    private record Transfer(BigInteger nonce, BigInteger value, String hash) {
    }

    /**
     * One web3j client sending value transfers one after another through the gateway, each signed with the next
     * nonce and waited for (its receipt, through the gateway) before the next. A send that errs is re-sent as the
     * same signed transaction (a safe retry) and counted as an error.
     */
    private final class Writer {
        final Web3j web3j;
        final String recipient;
        final Credentials sender = Credentials.create(Devnet.FIRST_KEY);
        final List<Transfer> sent = Collections.synchronizedList(new ArrayList<>());
        final List<String> errors = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean running = new AtomicBoolean(true);
        volatile BigInteger firstNonce;
        private Thread thread;
        private volatile Throwable crashed;

        Writer(Web3j web3j, String recipient) {
            this.web3j = web3j;
            this.recipient = recipient;
        }

        void start() throws Exception {
            firstNonce = web3j.ethGetTransactionCount(Devnet.FIRST_ADDRESS, DefaultBlockParameterName.LATEST).send().getTransactionCount();
            BigInteger gasPrice = web3j.ethGasPrice().send().getGasPrice().multiply(BigInteger.TWO);
            thread = new Thread(() -> {
                try {
                    BigInteger nonce = firstNonce;
                    for (int i = 0; i < MAX_TRANSFERS && running.get(); i++) {
                        BigInteger value = BigInteger.valueOf(1_000_000 + i);
                        RawTransaction tx = RawTransaction.createEtherTransaction(nonce, gasPrice, GAS_LIMIT, recipient, value);
                        String raw = Numeric.toHexString(TransactionEncoder.signMessage(tx, devnet.chainId(), sender));
                        String hash = Hash.sha3(raw);
                        send(raw, hash);
                        sent.add(new Transfer(nonce, value, hash));
                        awaitReceipt(hash);
                        nonce = nonce.add(BigInteger.ONE);
                    }
                } catch (Throwable t) {
                    crashed = t;
                }
            }, "transfer-writer");
            thread.start();
        }

        private void send(String raw, String hash) throws Exception {
            for (int attempt = 1; ; attempt++) {
                String problem;
                try {
                    EthSendTransaction r = web3j.ethSendRawTransaction(raw).send();
                    if (!r.hasError() && hash.equals(r.getTransactionHash())) {
                        return;
                    }
                    problem = r.hasError() ? r.getError().getCode() + " " + r.getError().getMessage() : "hash " + r.getTransactionHash();
                } catch (Exception e) {
                    problem = e.toString();
                }
                errors.add("send " + hash + " (attempt " + attempt + "): " + problem);
                if (attempt == 3) {
                    throw new IllegalStateException("transfer " + hash + " could not be sent: " + errors);
                }
                Thread.sleep(200);
            }
        }

        private void awaitReceipt(String hash) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                try {
                    Optional<TransactionReceipt> receipt = web3j.ethGetTransactionReceipt(hash).send().getTransactionReceipt();
                    if (receipt.isPresent()) {
                        return;
                    }
                } catch (Exception e) {
                    // a read failing is counted by the readers; the writer just asks again
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("no receipt for " + hash + " within 20 s");
        }

        void stop() throws Exception {
            running.set(false);
            thread.join(30_000);
            assertFalse(thread.isAlive(), "the writer is stuck");
            web3j.shutdown();
            if (crashed != null) {
                throw new AssertionError("the writer failed: " + crashed, crashed);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private Web3j through(String network) {
        return Web3j.build(new HttpService(gateway.toString() + network));
    }

    /** Sleeps until {@code ms} after {@code started} (no-op when that is past). */
    private static void pause(long started, long ms) throws InterruptedException {
        long left = ms - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (left > 0) {
            Thread.sleep(left);
        }
    }

    private static String at(long started) {
        return String.format("t=%.1fs", (System.nanoTime() - started) / 1e9);
    }

    private HttpResponse<String> post(URI url, String body) {
        try {
            return http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(15))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonObject rpc(URI url, String method, String params) {
        JsonObject answer = new JsonObject(post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}").body());
        assertNotNull(answer);
        return answer;
    }
}
