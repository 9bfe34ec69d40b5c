package io.railyard.e2e;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.testing.WsClient;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real reorg, as geth reports it to a logs subscriber: on a one-node devnet a contract's log is delivered, then
 * {@code anvil_reorg} replaces the blocks from the log's block on; the subscriber gets the same log again with
 * {@code removed: true} (same block hash), and any later delivery of it is from another block.
 */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "nodes", value = "1"),
        @ResourceArg(name = "block-interval-ms", value = "500")})
class DevnetReorgTest {

    private static final String TOPIC = Hash.sha3String("DevnetReorgTest.Poked()");
    /** {@code PUSH32 TOPIC PUSH1 0 PUSH1 0 LOG1 STOP}: every call logs once. */
    private static final String RUNTIME = "7f" + Numeric.cleanHexPrefix(TOPIC) + "6000" + "6000" + "a1" + "00";
    /** Copies the 39-byte runtime code and returns it. */
    private static final String INIT = "0x" + "6027" + "600c" + "6000" + "39" + "6027" + "6000" + "f3" + RUNTIME;

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    @Test
    void aReorgedLogIsDeliveredAgainWithRemovedTrue() throws Exception {
        Await.allHealthy(pools.pool("rr"));
        Web3j http = Web3j.build(new HttpService(gateway + "rr"));
        Credentials sender = Credentials.create(Devnet.FIRST_KEY);
        PollingTransactionReceiptProcessor receipts = new PollingTransactionReceiptProcessor(http, 100, 100);
        RawTransactionManager txs = new RawTransactionManager(http, sender, devnet.chainId(), receipts);
        BigInteger gasPrice = http.ethGasPrice().send().getGasPrice().multiply(BigInteger.TWO);
        EthSendTransaction deploy = txs.sendTransaction(gasPrice, BigInteger.valueOf(200_000), null, INIT, BigInteger.ZERO);
        String contract = receipts.waitForTransactionReceipt(deploy.getTransactionHash()).getContractAddress();

        try (WsClient ws = WsClient.connect(gateway.getPort(), "/rr")) {
            ws.subscribe("[\"logs\",{\"address\":\"" + contract + "\",\"topics\":[\"" + TOPIC + "\"]}]");
            Thread.sleep(1000);
            EthSendTransaction poke = txs.sendTransaction(gasPrice, BigInteger.valueOf(60_000), contract, "0x", BigInteger.ZERO);
            TransactionReceipt mined = receipts.waitForTransactionReceipt(poke.getTransactionHash());
            JsonObject added = ws.notifications(1).get(0).getJsonObject("params").getJsonObject("result");
            assertEquals(mined.getBlockHash(), added.getString("blockHash"));
            assertFalse(added.getBoolean("removed"));

            long head = Long.decode(rpc("eth_blockNumber", "[]").getString("result"));
            long depth = head - mined.getBlockNumber().longValueExact() + 1;
            assertTrue(rpcNode("anvil_reorg", "[" + depth + ",[]]").containsKey("result"), "anvil reorged " + depth + " blocks");

            JsonObject removed = ws.notifications(1).get(0).getJsonObject("params").getJsonObject("result");
            assertEquals(Boolean.TRUE, removed.getBoolean("removed"), removed.encode());
            assertEquals(added.getString("blockHash"), removed.getString("blockHash"));
            assertEquals(added.getString("transactionHash"), removed.getString("transactionHash"));
            // The dropped transaction may be mined again: then it is delivered from its new block, once.
            Thread.sleep(3000);
            List<JsonObject> later = new ArrayList<>();
            ws.drainNotifications().forEach(n -> later.add(n.getJsonObject("params").getJsonObject("result")));
            assertTrue(later.size() <= 1, "at most one re-delivery: " + later);
            for (JsonObject again : later) {
                assertNotEquals(added.getString("blockHash"), again.getString("blockHash"));
                assertFalse(again.getBoolean("removed"));
            }
            System.out.printf("[reorg] log in block %s delivered, reorg of %d blocks: delivered again removed=true;"
                    + " re-mined after: %d%n", mined.getBlockNumber(), depth, later.size());
        }
    }

    private JsonObject rpc(String method, String params) throws Exception {
        return post(URI.create(gateway + "rr"), method, params);
    }

    private JsonObject rpcNode(String method, String params) throws Exception {
        return post(devnet.url(0), method, params);
    }

    private static JsonObject post(URI uri, String method, String params) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body());
    }
}
