package io.railyard.e2e;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.testing.WsClient;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Subscriptions on real nodes with a real client: 50 ethers {@code WebSocketProvider}s and one raw
 * {@code eth_subscribe("newHeads")} socket follow the devnet (a block every 250 ms) through the gateway while one of
 * its three nodes hangs for 2 s (SIGSTOP) and two are killed, one after the other. Every subscriber sees every block once, in order, and the raw
 * subscriber's heads link by parent hash.
 */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class DevnetWebSocketTest {

    private static final Path SCRIPT = Path.of("src/test/anvil/scripts/ws-subscribers.mjs");
    private static final int SUBSCRIBERS = 50;
    private static final int SECONDS = 13;

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    @Test
    void ethersContractOnDeliversEachEventOnce() throws Exception {
        UpstreamPool pool = pools.pool("rr");
        Await.allHealthy(pool);
        String url = "ws://127.0.0.1:" + gateway.getPort() + "/rr";
        // The second of anvil's dev accounts: the other tests of the class send from the first.
        Process dapp = new ProcessBuilder("node", Path.of("src/test/anvil/scripts/ethers-events.mjs").toString(), url,
                "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "5")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertTrue(dapp.waitFor(60, TimeUnit.SECONDS), "the dApp finished");
            String out = new String(dapp.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertEquals(0, dapp.exitValue(), out);
            JsonObject result = new JsonObject(out);
            List<Object> sent = result.getJsonArray("sent").getList();
            JsonArray events = result.getJsonArray("events");
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < events.size(); i++) {
                assertEquals(Boolean.FALSE, events.getJsonObject(i).getBoolean("removed"), events.encode());
                seen.add(events.getJsonObject(i).getString("txHash"));
            }
            assertEquals(sent, seen, "each event once, in order: " + out);
            System.out.printf("[ws] ethers contract.on: %d calls, %d events, each once, in order%n", sent.size(), seen.size());
        } finally {
            dapp.destroyForcibly();
        }
    }

    @Test
    void aTransactionSentThroughTheGatewayIsAnnouncedOnceToPendingSubscribers() throws Exception {
        UpstreamPool pool = pools.pool("rr");
        Await.allHealthy(pool);
        try (WsClient ws = WsClient.connect(gateway.getPort(), "/rr")) {
            ws.subscribe("[\"newPendingTransactions\"]");
            org.web3j.protocol.Web3j http = org.web3j.protocol.Web3j.build(new org.web3j.protocol.http.HttpService(gateway + "rr"));
            org.web3j.crypto.Credentials sender = org.web3j.crypto.Credentials.create(Devnet.FIRST_KEY);
            java.math.BigInteger nonce = http.ethGetTransactionCount(sender.getAddress(),
                    org.web3j.protocol.core.DefaultBlockParameterName.PENDING).send().getTransactionCount();
            java.math.BigInteger gasPrice = http.ethGasPrice().send().getGasPrice().multiply(java.math.BigInteger.TWO);
            // Let the gateway's filter exist before the transaction does.
            Thread.sleep(1500);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                org.web3j.crypto.RawTransaction tx = org.web3j.crypto.RawTransaction.createEtherTransaction(
                        nonce.add(java.math.BigInteger.valueOf(i)), gasPrice, java.math.BigInteger.valueOf(21_000),
                        "0x000000000000000000000000000000000000dEaD", java.math.BigInteger.ONE);
                String signed = org.web3j.utils.Numeric.toHexString(org.web3j.crypto.TransactionEncoder.signMessage(tx, devnet.chainId(), sender));
                String hash = http.ethSendRawTransaction(signed).send().getTransactionHash();
                assertTrue(hash != null && hash.startsWith("0x"), "sent: " + hash);
                sent.add(hash.toLowerCase());
            }
            List<String> announced = new ArrayList<>();
            for (JsonObject n : ws.notifications(3)) {
                announced.add(n.getJsonObject("params").getString("result").toLowerCase());
            }
            // A while longer: a duplicate (another node's filter, a re-made one) would show now.
            Thread.sleep(2000);
            ws.drainNotifications().forEach(n -> announced.add(n.getJsonObject("params").getString("result").toLowerCase()));
            assertEquals(new java.util.TreeSet<>(sent), new java.util.TreeSet<>(announced), "each sent transaction announced");
            assertEquals(3, announced.size(), "each once: " + announced);
            System.out.printf("[ws] pending: 3 transactions sent through the gateway, each announced once%n");
        }
    }

    @Test
    void fiftyEthersSubscribersSeeEveryBlockOnceInOrderWhileANodeHangsAndTwoOfThreeAreKilled() throws Exception {
        UpstreamPool pool = pools.pool("rr");
        Await.allHealthy(pool);
        String url = "ws://127.0.0.1:" + gateway.getPort() + "/rr";
        Process subscribers = new ProcessBuilder("node", SCRIPT.toString(), url, Integer.toString(SUBSCRIBERS), Integer.toString(SECONDS))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            // A node that hangs (SIGSTOP) for 2 s, then one killed, then another: one node is left.
            Thread.sleep(1500);
            io.railyard.testing.Signals.stop(devnet.process(0).pid());
            Thread.sleep(2000);
            io.railyard.testing.Signals.resume(devnet.process(0).pid());
            Thread.sleep(1000);
            devnet.kill(1);
            Await.until("anvil-1 ejected", () -> !pool.byName("anvil-1").isHealthy());
            Thread.sleep(2000);
            devnet.kill(2);
            Await.until("anvil-2 ejected", () -> !pool.byName("anvil-2").isHealthy());
            assertTrue(subscribers.waitFor(SECONDS + 30, TimeUnit.SECONDS), "the subscribers finished");
            JsonObject seen = new JsonObject(new String(subscribers.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            JsonArray ethers = seen.getJsonArray("ethers");
            assertEquals(SUBSCRIBERS, ethers.size());
            List<String> summaries = new ArrayList<>();
            for (int i = 0; i < ethers.size(); i++) {
                JsonArray blocks = ethers.getJsonArray(i);
                assertTrue(blocks.size() > 10, "subscriber " + i + " saw blocks: " + blocks);
                for (int j = 1; j < blocks.size(); j++) {
                    assertEquals(blocks.getLong(j - 1) + 1, blocks.getLong(j), "subscriber " + i + ": a gap or a duplicate in " + blocks);
                }
                summaries.add(blocks.getLong(0) + "-" + blocks.getLong(blocks.size() - 1));
            }
            JsonArray raw = seen.getJsonArray("raw");
            assertTrue(raw.size() > 10, "raw subscriber saw " + raw);
            for (int j = 1; j < raw.size(); j++) {
                JsonObject before = raw.getJsonObject(j - 1);
                JsonObject head = raw.getJsonObject(j);
                assertEquals(before.getLong("number") + 1, head.getLong("number"), "raw: " + raw);
                assertEquals(before.getString("hash"), head.getString("parentHash"), "raw heads link by parent hash");
            }
            System.out.printf("[ws] %d ethers subscribers and one raw socket, node 0 stopped 2 s, nodes 1 and 2 killed: every block once, in order;"
                    + " raw %d heads linked by parent hash; ranges %s%n", SUBSCRIBERS, raw.size(), summaries.subList(0, 3));
        } finally {
            subscribers.destroyForcibly();
            devnet.restart(1);
            devnet.restart(2);
            Await.allHealthy(pool);
        }
    }
}
