package io.railyard.e2e;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.Transfer;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Convert;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real client (web3j) against real nodes (three anvil nodes in lockstep) through the gateway. */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class DevnetEndToEndTest {

    private static final String RECIPIENT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

    Devnet devnet;

    @TestHTTPResource("/")
    URL gateway;

    private Web3j through(String network) {
        return Web3j.build(new HttpService(gateway.toString() + network));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rr", "lc", "ih"})
    void web3jReadsAndSendsValueTransfersUnderEveryPolicy(String network) throws Exception {
        Web3j web3j = through(network);
        try {
            assertEquals(BigInteger.valueOf(31337), web3j.ethChainId().send().getChainId());
            long head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            assertTrue(head >= 0);

            Credentials sender = Credentials.create(Devnet.FIRST_KEY);
            RawTransactionManager txManager = new RawTransactionManager(web3j, sender, devnet.chainId(),
                    new PollingTransactionReceiptProcessor(web3j, 100, 200));
            Transfer transfer = new Transfer(web3j, txManager);
            BigInteger before = web3j.ethGetBalance(RECIPIENT, DefaultBlockParameterName.LATEST).send().getBalance();
            Set<String> hashes = new HashSet<>();
            for (int i = 0; i < 2; i++) {
                TransactionReceipt receipt = transfer.sendFunds(RECIPIENT, BigDecimal.ONE, Convert.Unit.ETHER).send();
                assertTrue(receipt.isStatusOK());
                assertTrue(hashes.add(receipt.getTransactionHash()));
                // The receipt must be the same on every node: the transaction reached all three and they mined alike.
                for (int node = 0; node < devnet.nodeCount(); node++) {
                    URI url = devnet.url(node);
                    Await.until("receipt on node " + node, () -> rpc(url, "eth_getTransactionReceipt",
                            "[\"" + receipt.getTransactionHash() + "\"]").getValue("result") instanceof JsonObject);
                }
            }
            Await.until("balance visible through the gateway", () -> {
                try {
                    return web3j.ethGetBalance(RECIPIENT, DefaultBlockParameterName.LATEST).send().getBalance()
                            .subtract(before).equals(Convert.toWei(BigDecimal.valueOf(2), Convert.Unit.ETHER).toBigIntegerExact());
                } catch (Exception e) {
                    return false;
                }
            });
            assertSameChainOnEveryNode();
        } finally {
            web3j.shutdown();
        }
    }

    private void assertSameChainOnEveryNode() {
        long height = devnet.mineBlock();
        String hash = null;
        for (int node = 0; node < devnet.nodeCount(); node++) {
            JsonObject block = rpc(devnet.url(node), "eth_getBlockByNumber", "[\"0x" + Long.toHexString(height) + "\",false]")
                    .getJsonObject("result");
            assertNotNull(block, "node " + node + " has block " + height);
            if (hash == null) {
                hash = block.getString("hash");
            }
            assertEquals(hash, block.getString("hash"), "node " + node + " holds the same block " + height);
        }
    }

    @Test
    void batchOfFiftyMixedReadsMatchesAskingOneNodeDirectly() throws Exception {
        Web3j web3j = through("rr");
        long head;
        try {
            head = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            EthBlock.Block genesis = web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.ZERO), false).send().getBlock();
            assertNotNull(genesis);
        } finally {
            web3j.shutdown();
        }
        String[] accounts = {Devnet.FIRST_ADDRESS, RECIPIENT, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x0000000000000000000000000000000000000000"};
        JsonArray batch = new JsonArray();
        for (int i = 0; i < 50; i++) {
            String block = "0x" + Long.toHexString(i % (head + 1));
            String account = accounts[i % accounts.length];
            JsonArray params;
            String method;
            switch (i % 6) {
                case 0 -> { method = "eth_getBlockByNumber"; params = new JsonArray().add(block).add(i % 2 == 0); }
                case 1 -> { method = "eth_getBalance"; params = new JsonArray().add(account).add(block); }
                case 2 -> { method = "eth_getTransactionCount"; params = new JsonArray().add(account).add(block); }
                case 3 -> { method = "eth_getCode"; params = new JsonArray().add(account).add(block); }
                case 4 -> { method = "eth_chainId"; params = new JsonArray(); }
                default -> { method = "eth_getBlockTransactionCountByNumber"; params = new JsonArray().add(block); }
            }
            batch.add(new JsonObject().put("jsonrpc", "2.0").put("id", i).put("method", method).put("params", params));
        }
        JsonArray viaGateway = new JsonArray(post(URI.create(gateway.toString() + "rr"), batch.encode()));
        JsonArray direct = new JsonArray(post(devnet.url(0), batch.encode()));
        assertEquals(50, viaGateway.size());
        for (int i = 0; i < 50; i++) {
            JsonObject g = viaGateway.getJsonObject(i);
            JsonObject d = direct.getJsonObject(i);
            assertEquals(i, g.getInteger("id"), "answers come in request order");
            assertEquals(d.getValue("result"), g.getValue("result"), "item " + i + " " + batch.getJsonObject(i).getString("method"));
            assertEquals(d.getValue("error"), g.getValue("error"));
        }
    }

    private static JsonObject rpc(URI url, String method, String params) {
        return new JsonObject(post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}"));
    }

    private static String post(URI url, String body) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
