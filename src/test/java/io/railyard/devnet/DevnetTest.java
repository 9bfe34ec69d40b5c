package io.railyard.devnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

class DevnetTest {

    /** Anvil's second funded account. */
    private static final String SECOND_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    private static final String RECIPIENT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Devnet manual() {
        return Devnet.start(new Devnet.Options().blockInterval(Duration.ZERO));
    }

    @Test
    void startsThreeNodesHoldingOneChain() {
        try (Devnet devnet = manual()) {
            List<URI> urls = devnet.urls();
            assertEquals(3, urls.size());
            assertEquals(3, new HashSet<>(urls.stream().map(URI::getPort).toList()).size(), "distinct ports: " + urls);
            assertEquals(Devnet.CHAIN_ID, devnet.chainId());
            Set<String> genesis = new HashSet<>();
            for (URI url : urls) {
                assertEquals("127.0.0.1", url.getHost());
                assertEquals("0x7a69", rpc(url, "eth_chainId"));
                assertEquals("0x0", rpc(url, "eth_blockNumber"));
                JsonObject block = (JsonObject) rpc(url, "eth_getBlockByNumber", "0x0", false);
                assertEquals(devnet.genesisTimestamp(), Long.decode(block.getString("timestamp")));
                genesis.add(block.getString("hash"));
            }
            assertEquals(1, genesis.size(), "one genesis block: " + genesis);
            assertEquals("0x21e19e0c9bab2400000", rpc(urls.get(0), "eth_getBalance", Devnet.FIRST_ADDRESS, "latest"),
                    "the first account holds 10000 ETH");
        }
    }

    @Test
    void transferSentToEveryNodeIsMinedIntoTheSameBlock() {
        try (Devnet devnet = manual()) {
            String raw = transfer(Devnet.FIRST_KEY, 0, "0x1");
            for (URI url : devnet.urls()) {
                assertEquals(hash(raw), rpc(url, "eth_sendRawTransaction", raw));
            }
            assertEquals(1, devnet.mineBlock());
            JsonObject first = latest(devnet.url(0));
            assertEquals("0x1", first.getString("number"));
            assertEquals(devnet.genesisTimestamp() + 1, Long.decode(first.getString("timestamp")));
            assertEquals(List.of(hash(raw)), first.getJsonArray("transactions").getList());
            for (URI url : devnet.urls()) {
                assertEquals(first.getString("hash"), latest(url).getString("hash"), url.toString());
                JsonObject receipt = (JsonObject) rpc(url, "eth_getTransactionReceipt", hash(raw));
                assertEquals("0x1", receipt.getString("status"));
                assertEquals(first.getString("hash"), receipt.getString("blockHash"));
            }
            assertEquals(2, devnet.mineBlock());
            assertSameHead(devnet, 2);
        }
    }

    @Test
    void sameTransactionsArrivingInAnotherOrderOrOnOneNodeOnlyDoNotFork() {
        try (Devnet devnet = manual()) {
            // Equal gas prices: anvil orders them by arrival, so mining these pools as they are would fork.
            String a = transfer(Devnet.FIRST_KEY, 0, "0x1");
            String b = transfer(SECOND_KEY, 0, "0x1");
            send(devnet.url(0), a, b);
            send(devnet.url(1), b, a);
            send(devnet.url(2), b, a);
            assertNotEquals(pending(devnet.url(0)), pending(devnet.url(1)), "anvil orders by arrival");
            devnet.mineBlock();
            assertSameHead(devnet, 1);
            assertEquals(2, latest(devnet.url(2)).getJsonArray("transactions").size());

            String c = transfer(Devnet.FIRST_KEY, 1, "0x2");
            send(devnet.url(1), c);
            devnet.mineBlock();
            assertSameHead(devnet, 2);
            assertEquals(List.of(hash(c)), latest(devnet.url(0)).getJsonArray("transactions").getList());
        }
    }

    @Test
    void heldBackNodeLagsAndCatchesUpOnRelease() {
        try (Devnet devnet = manual()) {
            devnet.mineBlock();
            devnet.holdBack(2);
            String everywhere = transfer(Devnet.FIRST_KEY, 0, "0x1");
            send(devnet.url(0), everywhere);
            send(devnet.url(1), everywhere);
            send(devnet.url(2), everywhere);
            String onlyHeld = transfer(SECOND_KEY, 0, "0x5");
            send(devnet.url(2), onlyHeld);
            devnet.mineBlock();
            devnet.mineBlock();
            devnet.mineBlock();
            assertEquals(4, devnet.height());
            assertEquals("0x4", rpc(devnet.url(0), "eth_blockNumber"));
            assertEquals("0x1", rpc(devnet.url(2), "eth_blockNumber"), "held back since block 1");
            assertEquals(2, pending(devnet.url(2)).size(), "the held node keeps its pool");

            devnet.release(2);
            assertSameHead(devnet, 4);
            JsonObject block2 = (JsonObject) rpc(devnet.url(2), "eth_getBlockByNumber", "0x2", false);
            assertEquals(List.of(hash(everywhere)), block2.getJsonArray("transactions").getList());
            assertEquals(List.of(hash(onlyHeld)), pending(devnet.url(2)), "what only the held node had is still pending");

            devnet.mineBlock();
            assertSameHead(devnet, 5);
            assertEquals(List.of(hash(onlyHeld)), latest(devnet.url(0)).getJsonArray("transactions").getList());
        }
    }

    @Test
    void nodeMinedBehindTheDevnetsBackIsRolledBackOntoTheChain() {
        try (Devnet devnet = manual()) {
            String raw = transfer(Devnet.FIRST_KEY, 0, "0x1");
            send(devnet.url(1), raw);
            // Two foreign blocks, the first with a transaction (its gas use changes the next base fee).
            rpc(devnet.url(1), "evm_mine", devnet.genesisTimestamp() + 1);
            rpc(devnet.url(1), "evm_mine", devnet.genesisTimestamp() + 2);
            assertEquals("0x2", rpc(devnet.url(1), "eth_blockNumber"));

            devnet.mineBlock();
            assertSameHead(devnet, 1);
            assertEquals(List.of(), latest(devnet.url(1)).getJsonArray("transactions").getList());
            assertEquals(List.of(hash(raw)), pending(devnet.url(1)), "the rolled-back transaction is pending again");

            devnet.mineBlock();
            assertSameHead(devnet, 2);
            assertEquals(List.of(hash(raw)), latest(devnet.url(0)).getJsonArray("transactions").getList());
        }
    }

    @Test
    void minesOnItsOwnAndCopiesATransactionOnlyOneNodeGot() {
        long genesis = System.currentTimeMillis() / 1000 - 100;
        try (Devnet devnet = Devnet.start(new Devnet.Options().blockInterval(Duration.ofMillis(100)).genesisTimestamp(genesis))) {
            String raw = transfer(Devnet.FIRST_KEY, 0, "0x7");
            send(devnet.url(1), raw);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!minedEverywhere(devnet, hash(raw))) {
                assertTrue(System.nanoTime() < deadline, "not mined on every node in time");
                pause();
            }
            JsonObject receipt = (JsonObject) rpc(devnet.url(0), "eth_getTransactionReceipt", hash(raw));
            String number = receipt.getString("blockNumber");
            Set<String> hashes = new HashSet<>();
            for (URI url : devnet.urls()) {
                JsonObject block = (JsonObject) rpc(url, "eth_getBlockByNumber", number, false);
                hashes.add(block.getString("hash"));
                assertEquals(genesis + Long.decode(number), Long.decode(block.getString("timestamp")));
            }
            assertEquals(1, hashes.size(), "one block " + number + " on every node");
        }
    }

    @Test
    void blockTimestampsAdvanceByTheIntervalInWholeSeconds() {
        try (Devnet devnet = Devnet.start(new Devnet.Options().nodeCount(2).blockInterval(Duration.ofSeconds(2)))) {
            assertEquals(2, devnet.timeStep());
            assertEquals(2, devnet.urls().size());
            devnet.mineBlock();
            JsonObject block1 = (JsonObject) rpc(devnet.url(1), "eth_getBlockByNumber", "0x1", false);
            assertEquals(devnet.genesisTimestamp() + 2, Long.decode(block1.getString("timestamp")));
            assertEquals(block1.getString("hash"),
                    ((JsonObject) rpc(devnet.url(0), "eth_getBlockByNumber", "0x1", false)).getString("hash"));
        }
    }

    @Test
    void killedNodeIsSkippedAndRestartReplaysTheChain() {
        try (Devnet devnet = manual()) {
            URI url1 = devnet.url(1);
            ProcessHandle before = devnet.process(1);
            devnet.kill(1);
            assertFalse(before.isAlive());
            String raw = transfer(Devnet.FIRST_KEY, 0, "0x1");
            send(devnet.url(0), raw);
            send(devnet.url(2), raw);
            devnet.mineBlock();
            devnet.mineBlock();
            assertEquals("0x2", rpc(devnet.url(0), "eth_blockNumber"));

            devnet.restart(1);
            assertEquals(url1, devnet.url(1), "same port after restart");
            assertNotEquals(before.pid(), devnet.process(1).pid());
            assertSameHead(devnet, 2);
            devnet.mineBlock();
            assertSameHead(devnet, 3);
        }
    }

    @Test
    void closeLeavesNoAnvilRunning() {
        Devnet devnet = manual();
        List<ProcessHandle> processes = new ArrayList<>();
        for (int i = 0; i < devnet.nodeCount(); i++) {
            processes.add(devnet.process(i));
        }
        assertTrue(processes.stream().allMatch(ProcessHandle::isAlive));
        URI url = devnet.url(0);
        devnet.close();
        for (ProcessHandle p : processes) {
            assertFalse(p.isAlive(), "anvil pid " + p.pid() + " still runs");
        }
        assertThrows(IOException.class, () -> HTTP.send(post(url, "eth_chainId"), HttpResponse.BodyHandlers.ofString()));
        assertThrows(IllegalStateException.class, devnet::mineBlock);
        devnet.close();
    }

    @Test
    void missingAnvilFailsWithAHint() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Devnet.start(new Devnet.Options().anvil(Path.of("/nonexistent/anvil"))));
        assertTrue(e.getMessage().contains("./mvnw -B initialize"), e.getMessage());
    }

    // ---------------------------------------------------------------- helpers

    private static void assertSameHead(Devnet devnet, long number) {
        assertEquals(number, devnet.height());
        String hash = null;
        for (URI url : devnet.urls()) {
            JsonObject block = latest(url);
            assertEquals(number, Long.decode(block.getString("number")), url + " head");
            if (hash == null) {
                hash = block.getString("hash");
            }
            assertEquals(hash, block.getString("hash"), url + " head hash");
        }
    }

    private static boolean minedEverywhere(Devnet devnet, String txHash) {
        for (URI url : devnet.urls()) {
            if (rpc(url, "eth_getTransactionReceipt", txHash) == null) {
                return false;
            }
        }
        return true;
    }

    private static String transfer(String key, long nonce, String value) {
        RawTransaction tx = RawTransaction.createEtherTransaction(BigInteger.valueOf(nonce),
                BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(21_000), RECIPIENT, Numeric.toBigInt(value));
        return Numeric.toHexString(TransactionEncoder.signMessage(tx, Devnet.CHAIN_ID, Credentials.create(key)));
    }

    private static String hash(String raw) {
        return Hash.sha3(raw);
    }

    private static void send(URI url, String... raws) {
        for (String raw : raws) {
            assertEquals(hash(raw), rpc(url, "eth_sendRawTransaction", raw));
        }
    }

    private static List<Object> pending(URI url) {
        return ((JsonObject) rpc(url, "eth_getBlockByNumber", "pending", false)).getJsonArray("transactions").getList();
    }

    private static JsonObject latest(URI url) {
        return (JsonObject) rpc(url, "eth_getBlockByNumber", "latest", false);
    }

    private static HttpRequest post(URI url, String method, Object... params) {
        JsonObject body = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", method)
                .put("params", new JsonArray(Arrays.asList(params)));
        return HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
    }

    private static Object rpc(URI url, String method, Object... params) {
        try {
            JsonObject answer = new JsonObject(HTTP.send(post(url, method, params), HttpResponse.BodyHandlers.ofString()).body());
            if (answer.containsKey("error")) {
                throw new AssertionError(method + " on " + url + ": " + answer.getValue("error"));
            }
            return answer.getValue("result");
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(method + " on " + url + " failed", e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
