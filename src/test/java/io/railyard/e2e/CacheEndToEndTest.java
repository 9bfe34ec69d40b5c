package io.railyard.e2e;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.testing.Metrics;
import io.railyard.upstream.UpstreamPools;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.Transfer;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Convert;

import java.math.BigDecimal;
import java.net.URL;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** web3j reading final blocks and receipts through the gateway: same answers as anvil, and the second pass is cached. */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class CacheEndToEndTest {

    private static final String NET = "network=\"rr\"";

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    @Test
    void oldBlocksAndReceiptsMatchAnvilAndTheSecondPassComesFromTheCache() throws Exception {
        Web3j viaGateway = Web3j.build(new HttpService(gateway.toString() + "rr"));
        Web3j direct = Web3j.build(new HttpService(devnet.url(0).toString()));
        try {
            RawTransactionManager tx = new RawTransactionManager(viaGateway, Credentials.create(Devnet.FIRST_KEY), devnet.chainId(),
                    new PollingTransactionReceiptProcessor(viaGateway, 100, 200));
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                sent.add(new Transfer(viaGateway, tx).sendFunds("0x90F79bf6EB2c4f870365E179FaF4f0a1B9A4C906",
                        BigDecimal.ONE, Convert.Unit.ETHER).send().getTransactionHash());
            }
            // anvil calls head - 64 final: bury the transactions that deep.
            for (int i = 0; i < 70; i++) {
                devnet.mineBlock();
            }
            // The receipts as the chain has them now: one taken while a devnet node had forked (the devnet then
            // replays the canonical block on it) names a block hash that no longer exists, and a null is never cached.
            List<TransactionReceipt> receipts = new ArrayList<>();
            for (String hash : sent) {
                receipts.add(direct.ethGetTransactionReceipt(hash).send().getTransactionReceipt().orElseThrow());
            }
            long lastTxBlock = receipts.stream().mapToLong(r -> r.getBlockNumber().longValueExact()).max().orElseThrow();
            Await.until("gateway counts the blocks final", () -> pools.pool("rr").finalized() >= lastTxBlock);

            // Keyed by request: two transfers can share a block (one mined on a forked node is re-mined with the next
            // one), and a repeated block read would be a cache hit already in the first pass.
            Map<String, Query> reads = new LinkedHashMap<>();
            for (TransactionReceipt r : receipts) {
                DefaultBlockParameter block = DefaultBlockParameter.valueOf(r.getBlockNumber());
                String hash = r.getTransactionHash();
                reads.putIfAbsent("block " + r.getBlockNumber(), w -> w.ethGetBlockByNumber(block, true).send().getBlock());
                reads.putIfAbsent("block " + r.getBlockHash(), w -> w.ethGetBlockByHash(r.getBlockHash(), false).send().getBlock());
                reads.putIfAbsent("balance at " + r.getBlockNumber(), w -> w.ethGetBalance(Devnet.FIRST_ADDRESS, block).send().getBalance());
                reads.put("receipt " + hash, w -> w.ethGetTransactionReceipt(hash).send().getTransactionReceipt().orElseThrow());
                reads.put("transaction " + hash, w -> w.ethGetTransactionByHash(hash).send().getTransaction().orElseThrow());
            }

            String beforeFirst = Metrics.scrape();
            for (Map.Entry<String, Query> read : reads.entrySet()) {
                assertEquals(read.getValue().on(direct), read.getValue().on(viaGateway), read.getKey());
            }
            String afterFirst = Metrics.scrape();
            for (Map.Entry<String, Query> read : reads.entrySet()) {
                assertEquals(read.getValue().on(direct), read.getValue().on(viaGateway), "cached " + read.getKey());
            }
            String afterSecond = Metrics.scrape();

            double missesFirst = delta(beforeFirst, afterFirst, "miss");
            assertTrue(missesFirst >= reads.size() - 1, "the first pass went to the nodes (" + missesFirst + " misses)");
            assertEquals(reads.size(), delta(afterFirst, afterSecond, "hit"), "every read of the second pass was a cache hit");
            assertEquals(0, delta(afterFirst, afterSecond, "miss"));
        } finally {
            viaGateway.shutdown();
            direct.shutdown();
        }
    }

    /** One read, made through the gateway and directly against a node. */
    private interface Query {
        Object on(Web3j web3) throws Exception;
    }

    private static double delta(String before, String after, String result) {
        String series = "railyard_cache_requests_total{" + NET + ",result=\"" + result + "\"}";
        return Metrics.value(after, series) - Metrics.value(before, series);
    }
}
