package io.railyard.e2e;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.upstream.UpstreamPools;
import io.reactivex.disposables.Disposable;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.protocol.websocket.WebSocketService;
import org.web3j.protocol.websocket.events.Log;
import org.web3j.protocol.websocket.events.NewHead;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.tx.response.TransactionReceiptProcessor;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * web3j's own WebSocket client ({@link WebSocketService}, Java-WebSocket underneath) against the gateway's
 * {@code ws://…/rr} endpoint on the three-node anvil devnet. Guards that a stock Java client can upgrade (no header,
 * subprotocol or origin rule refuses it), that its {@code newHeadsNotifications()} see every block once, in order,
 * linked by parent hash, and that its {@code logsNotifications(address, topic)} deliver each log of a contract
 * exactly once, never {@code removed}, in block order, the very logs a node's {@code eth_getLogs} returns for the
 * range: a duplicated, missed or reordered log, or a notification sent before its subscription's id, fails it.
 */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class Web3jWebSocketTest {

    /** The one topic the test contract logs with every call. */
    private static final String TOPIC = Hash.sha3String("Web3jWebSocketTest.Poked()");
    /** Runtime code: {@code PUSH32 TOPIC PUSH1 0 PUSH1 0 LOG1 STOP} (39 bytes): every call emits one empty log. */
    private static final String RUNTIME = "7f" + Numeric.cleanHexPrefix(TOPIC) + "6000" + "6000" + "a1" + "00";
    /** Init code: {@code PUSH1 39 PUSH1 12 PUSH1 0 CODECOPY PUSH1 39 PUSH1 0 RETURN}, then the runtime code. */
    private static final String INIT = "0x" + "6027" + "600c" + "6000" + "39" + "6027" + "6000" + "f3" + RUNTIME;
    private static final int CALLS = 5;
    private static final BigInteger DEPLOY_GAS = BigInteger.valueOf(200_000);
    private static final BigInteger CALL_GAS = BigInteger.valueOf(60_000);

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    private String wsUrl() {
        return "ws://127.0.0.1:" + gateway.getPort() + "/rr";
    }

    /** Connects web3j's WebSocketService to the gateway; raw text messages (after web3j handled them) go to {@code raw}. */
    private WebSocketService connect(List<String> raw, List<Throwable> errors) throws Exception {
        WebSocketService ws = new WebSocketService(wsUrl(), false);
        ws.connect(raw::add, errors::add, () -> { });
        return ws;
    }

    @Test
    void web3jNewHeadsThroughTheGatewayArriveOnceInOrder() throws Exception {
        Await.allHealthy(pools.pool("rr"));
        List<String> raw = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        WebSocketService ws = connect(raw, errors);
        Web3j web3j = Web3j.build(ws);
        try {
            List<NewHead> heads = new CopyOnWriteArrayList<>();
            List<Throwable> streamErrors = new CopyOnWriteArrayList<>();
            Disposable subscription = web3j.newHeadsNotifications()
                    .subscribe(n -> heads.add(n.getParams().getResult()), streamErrors::add);
            Thread.sleep(4000);
            subscription.dispose();
            List<NewHead> seen = List.copyOf(heads);

            assertTrue(streamErrors.isEmpty(), "newHeads stream errors: " + streamErrors);
            assertTrue(errors.isEmpty(), "WebSocket errors: " + errors);
            assertTrue(seen.size() >= 8, "at least 8 heads in 4 s of 250 ms blocks, saw " + seen.size());
            Set<String> hashes = new HashSet<>();
            for (int i = 0; i < seen.size(); i++) {
                NewHead head = seen.get(i);
                assertNotNull(head.getHash(), "head " + i + " has a hash");
                assertTrue(hashes.add(head.getHash()), "head " + head.getHash() + " delivered twice");
                if (i > 0) {
                    NewHead before = seen.get(i - 1);
                    assertEquals(number(before.getNumber()) + 1, number(head.getNumber()),
                            "heads are consecutive: " + numbers(seen));
                    assertEquals(before.getHash(), head.getParentHash(), "head " + number(head.getNumber()) + " links to its parent");
                }
            }
            // web3j saw what the gateway sent: as many newHeads notifications on the wire as web3j delivered.
            long onTheWire = raw.stream().map(JsonObject::new).filter(m -> "eth_subscription".equals(m.getString("method"))).count();
            assertTrue(onTheWire >= seen.size(), "notifications on the wire " + onTheWire + " >= delivered " + seen.size());
            System.out.printf("[web3j-ws] newHeads: %d heads, blocks %d-%d, consecutive, no duplicate, linked by parent hash%n",
                    seen.size(), number(seen.get(0).getNumber()), number(seen.get(seen.size() - 1).getNumber()));
        } finally {
            web3j.shutdown();
        }
    }

    @Test
    void aContractsEventsArriveOnceThroughTheGateway() throws Exception {
        Await.allHealthy(pools.pool("rr"));
        Web3j http = Web3j.build(new HttpService(gateway.toString() + "rr"));
        List<String> raw = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        WebSocketService ws = connect(raw, errors);
        Web3j web3j = Web3j.build(ws);
        try {
            Credentials sender = Credentials.create(Devnet.FIRST_KEY);
            long chainId = devnet.chainId();
            TransactionReceiptProcessor receipts = new PollingTransactionReceiptProcessor(http, 100, 100);
            BigInteger gasPrice = http.ethGasPrice().send().getGasPrice().multiply(BigInteger.TWO);

            // Deploy over HTTP through the gateway.
            RawTransactionManager deployer = new RawTransactionManager(http, sender, chainId, receipts);
            EthSendTransaction deploy = deployer.sendTransaction(gasPrice, DEPLOY_GAS, null, INIT, BigInteger.ZERO);
            assertFalse(deploy.hasError(), () -> "deploy: " + deploy.getError().getMessage());
            TransactionReceipt deployed = receipts.waitForTransactionReceipt(deploy.getTransactionHash());
            assertTrue(deployed.isStatusOK(), "deploy succeeded: " + deployed);
            String contract = deployed.getContractAddress();
            assertNotNull(contract);
            assertEquals("0x" + RUNTIME, http.ethGetCode(contract, DefaultBlockParameterName.LATEST).send().getCode(),
                    "the contract holds the runtime code");

            // Subscribe over the WebSocket: logsNotifications returns once the gateway answered the subscription id.
            List<Log> logs = new CopyOnWriteArrayList<>();
            List<Throwable> streamErrors = new CopyOnWriteArrayList<>();
            Disposable subscription = web3j.logsNotifications(List.of(contract), List.of(TOPIC))
                    .subscribe(n -> logs.add(n.getParams().getResult()), streamErrors::add);
            Set<String> subscriptionIds = Set.copyOf(ws.getSubscriptionIdsMap().keySet());
            assertEquals(1, subscriptionIds.size(), "one subscription established: " + subscriptionIds);
            String subscriptionId = subscriptionIds.iterator().next();

            // Five calls, each signed here and sent as eth_sendRawTransaction over the WebSocket, one after the other.
            BigInteger nonce = http.ethGetTransactionCount(sender.getAddress(), DefaultBlockParameterName.PENDING).send().getTransactionCount();
            List<TransactionReceipt> sent = new ArrayList<>();
            for (int i = 0; i < CALLS; i++) {
                RawTransaction tx = RawTransaction.createTransaction(nonce.add(BigInteger.valueOf(i)), gasPrice, CALL_GAS, contract, "0x");
                String signed = Numeric.toHexString(TransactionEncoder.signMessage(tx, chainId, sender));
                EthSendTransaction sendTx = web3j.ethSendRawTransaction(signed).send();
                assertFalse(sendTx.hasError(), () -> "call: " + sendTx.getError().getMessage());
                TransactionReceipt receipt = receipts.waitForTransactionReceipt(sendTx.getTransactionHash());
                assertTrue(receipt.isStatusOK(), "call succeeded: " + receipt);
                assertEquals(1, receipt.getLogs().size(), "each call logs once");
                sent.add(receipt);
            }
            long from = deployed.getBlockNumber().longValueExact();
            long to = sent.get(CALLS - 1).getBlockNumber().longValueExact();

            Await.until(CALLS + " log notifications", () -> logs.size() >= CALLS);
            // Let the stream run on for a few more blocks: a duplicate or a late replay would show up here.
            long waitPast = to + 4;
            Await.until("the chain passes block " + waitPast, () -> devnet.height() >= waitPast);
            Thread.sleep(1000);
            subscription.dispose();
            List<Log> seen = List.copyOf(logs);

            assertTrue(streamErrors.isEmpty(), "logs stream errors: " + streamErrors);
            assertTrue(errors.isEmpty(), "WebSocket errors: " + errors);
            assertEquals(CALLS, seen.size(), "exactly one notification per call: " + describe(seen));
            for (int i = 0; i < CALLS; i++) {
                Log log = seen.get(i);
                TransactionReceipt receipt = sent.get(i);
                assertEquals(receipt.getTransactionHash(), log.getTransactionHash(), "notification " + i + " is call " + i + "'s log");
                assertEquals(receipt.getBlockHash(), log.getBlockHash(), "notification " + i + " carries its block's hash");
                assertEquals(receipt.getBlockNumber().longValueExact(), number(log.getBlockNumber()));
                assertEquals(contract.toLowerCase(), log.getAddress().toLowerCase());
                assertEquals(List.of(TOPIC), log.getTopics());
                if (i > 0) {
                    Log before = seen.get(i - 1);
                    assertTrue(number(before.getBlockNumber()) < number(log.getBlockNumber())
                                    || number(before.getBlockNumber()) == number(log.getBlockNumber())
                                    && number(before.getLogIndex()) < number(log.getLogIndex()),
                            "notifications in block order: " + describe(seen));
                }
            }
            assertEquals(CALLS, Set.copyOf(seen.stream().map(Log::getTransactionHash).toList()).size(), "distinct transactions");

            // web3j's Log has no `removed`: read it from the messages on the wire, which are exactly the ones web3j got.
            List<JsonObject> wire = raw.stream().map(JsonObject::new)
                    .filter(m -> "eth_subscription".equals(m.getString("method")))
                    .filter(m -> subscriptionId.equals(m.getJsonObject("params").getString("subscription")))
                    .toList();
            assertEquals(CALLS, wire.size(), "log notifications on the wire: " + wire);
            for (JsonObject m : wire) {
                JsonObject result = m.getJsonObject("params").getJsonObject("result");
                assertNotNull(result, "a log, not an error: " + m);
                assertFalse(result.getBoolean("removed", false), "no log removed: " + m);
            }

            // The node's own answer for the range: the same five logs, through the gateway and from anvil directly.
            EthFilter filter = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), contract).addSingleTopic(TOPIC);
            EthLog viaGateway = http.ethGetLogs(filter).send();
            assertFalse(viaGateway.hasError(), () -> "eth_getLogs: " + viaGateway.getError().getMessage());
            List<String> gatewayLogs = new ArrayList<>();
            for (EthLog.LogResult<?> result : viaGateway.getLogs()) {
                org.web3j.protocol.core.methods.response.Log log = (org.web3j.protocol.core.methods.response.Log) result.get();
                gatewayLogs.add(key(log.getBlockHash(), log.getTransactionHash(), log.getLogIndexRaw()));
            }
            JsonArray nodeLogs = rpc(devnet.url(0), "eth_getLogs", new JsonArray().add(new JsonObject()
                    .put("fromBlock", hex(from)).put("toBlock", hex(to)).put("address", contract)
                    .put("topics", new JsonArray().add(TOPIC)))).getJsonArray("result");
            List<String> direct = new ArrayList<>();
            for (int i = 0; i < nodeLogs.size(); i++) {
                JsonObject log = nodeLogs.getJsonObject(i);
                direct.add(key(log.getString("blockHash"), log.getString("transactionHash"), log.getString("logIndex")));
            }
            List<String> notified = seen.stream().map(l -> key(l.getBlockHash(), l.getTransactionHash(), l.getLogIndex())).toList();
            assertEquals(direct, notified, "the notifications are the node's eth_getLogs for blocks " + from + "-" + to);
            assertEquals(direct, gatewayLogs, "eth_getLogs through the gateway matches the node");

            System.out.printf("[web3j-ws] logs: contract %s, %d calls in blocks %s, %d notifications (each once, none removed,"
                            + " in block order), eth_getLogs %d-%d: %d via the gateway, %d from anvil-0%n", contract, CALLS,
                    sent.stream().map(r -> r.getBlockNumber().toString()).toList(), seen.size(), from, to,
                    gatewayLogs.size(), direct.size());
        } finally {
            web3j.shutdown();
            http.shutdown();
        }
    }

    private static String key(String blockHash, String txHash, String logIndex) {
        return blockHash + "/" + txHash + "/" + number(logIndex);
    }

    private static long number(String hex) {
        return Numeric.decodeQuantity(hex).longValueExact();
    }

    private static String hex(long n) {
        return "0x" + Long.toHexString(n);
    }

    private static List<Long> numbers(List<NewHead> heads) {
        return heads.stream().map(h -> number(h.getNumber())).toList();
    }

    private static List<String> describe(List<Log> logs) {
        return Collections.unmodifiableList(logs.stream()
                .map(l -> number(l.getBlockNumber()) + ":" + number(l.getLogIndex()) + ":" + l.getTransactionHash()).toList());
    }

    private static JsonObject rpc(URI url, String method, JsonArray params) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("jsonrpc", "2.0").put("id", 1)
                            .put("method", method).put("params", params).encode())).build(), HttpResponse.BodyHandlers.ofString());
            return new JsonObject(response.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
