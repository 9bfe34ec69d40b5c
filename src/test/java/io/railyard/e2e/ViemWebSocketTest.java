package io.railyard.e2e;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.devnet.Devnet;
import io.railyard.testing.Await;
import io.railyard.testing.DevnetResource;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The gateway's WebSocket subscriptions as viem sees them: a viem {@code createPublicClient} on a {@code webSocket}
 * transport runs {@code watchBlockNumber} and {@code watchBlocks} with {@code poll: false} (so both
 * {@code eth_subscribe("newHeads")} through the gateway rather than polling) on network {@code rr} of the devnet
 * (a block every 250 ms) for 6 s, while one of the three nodes is killed. Guards that viem's subscribe and
 * notification handling accept what the gateway answers (the subscription id, the {@code eth_subscription}
 * messages, the head fields viem formats), that viem never loses its socket or subscribes again (two
 * {@code eth_subscribe} requests, one per watcher, and no error reported), and that the block numbers it emits are
 * consecutive, without gap or duplicate, across the node's death. The blocks {@code watchBlocks} fetches form one
 * unbroken run linked by parent hash (checked as a set: viem emits them in the order its fetches are answered).
 */
@QuarkusTest
@QuarkusTestResource(value = DevnetResource.class, restrictToAnnotatedClass = true)
class ViemWebSocketTest {

    private static final Path TOOLS = Path.of("src/test/anvil");
    private static final Path SCRIPT = TOOLS.resolve("scripts/viem-watch.mjs");
    private static final int SECONDS = 6;
    private static final int MIN_BLOCKS = 12;

    Devnet devnet;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    @Test
    void viemWatchesEveryBlockOnceInOrderOverTheGatewayWhileANodeIsKilled() throws Exception {
        UpstreamPool pool = pools.pool("rr");
        Await.allHealthy(pool);
        String url = "ws://127.0.0.1:" + gateway.getPort() + "/rr";
        Process viem = new ProcessBuilder("node", SCRIPT.toString(), url, Integer.toString(SECONDS))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            Thread.sleep(2500);
            if (!viem.isAlive()) {
                fail("viem-watch exited early with " + viem.exitValue() + " (its stderr is above); stdout: "
                        + new String(viem.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
            devnet.kill(1);
            Await.until("anvil-1 ejected", () -> !pool.byName("anvil-1").isHealthy());
            assertTrue(viem.waitFor(SECONDS + 30, TimeUnit.SECONDS), "viem-watch finished");
            String out = new String(viem.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertEquals(0, viem.exitValue(), "viem-watch failed (its stderr is above); stdout: " + out);
            JsonObject seen = new JsonObject(out);
            assertEquals(0, seen.getJsonArray("errors").size(), "viem reported errors: " + seen.getJsonArray("errors"));
            assertEquals(2, seen.getInteger("subscribeRequests"),
                    "one eth_subscribe per watcher, never again (a reconnect would subscribe again): " + out);

            JsonArray numbers = seen.getJsonArray("blockNumbers");
            assertTrue(numbers.size() >= MIN_BLOCKS, "watchBlockNumber emitted at least " + MIN_BLOCKS + " blocks: " + numbers);
            for (int j = 1; j < numbers.size(); j++) {
                assertEquals(numbers.getLong(j - 1) + 1, numbers.getLong(j), "watchBlockNumber: a gap or a duplicate in " + numbers);
            }

            // watchBlocks fetches each notified head with eth_getBlockByNumber and emits the blocks as the answers
            // arrive, not in notification order: the stream delivers the two blocks made in one poll interval
            // together, and their two fetches may be answered either way round. So the blocks are checked as a set.
            JsonArray blocks = seen.getJsonArray("blocks");
            assertTrue(blocks.size() >= MIN_BLOCKS, "watchBlocks emitted at least " + MIN_BLOCKS + " blocks: " + blocks);
            List<JsonObject> sorted = new ArrayList<>();
            int emittedOutOfOrder = 0;
            for (int j = 0; j < blocks.size(); j++) {
                sorted.add(blocks.getJsonObject(j));
                if (j > 0 && blocks.getJsonObject(j).getLong("number") < blocks.getJsonObject(j - 1).getLong("number")) {
                    emittedOutOfOrder++;
                }
            }
            sorted.sort(Comparator.comparingLong(b -> b.getLong("number")));
            for (int j = 1; j < sorted.size(); j++) {
                JsonObject before = sorted.get(j - 1);
                JsonObject block = sorted.get(j);
                assertEquals(before.getLong("number") + 1, block.getLong("number"), "watchBlocks: a gap or a duplicate in " + blocks);
                assertEquals(before.getString("hash"), block.getString("parentHash"), "watchBlocks: blocks link by parent hash in " + blocks);
            }

            String version = new JsonObject(Files.readString(TOOLS.resolve("node_modules/viem/package.json"))).getString("version");
            System.out.printf("[viem] viem %s, watchBlockNumber and watchBlocks over %s with node 1 killed: %d eth_subscribe,"
                            + " block numbers %d-%d (%d) consecutive; watched blocks %d-%d (%d, %d emitted out of order) linked by parent hash%n",
                    version, url, seen.getInteger("subscribeRequests"), numbers.getLong(0), numbers.getLong(numbers.size() - 1),
                    numbers.size(), sorted.get(0).getLong("number"), sorted.get(sorted.size() - 1).getLong("number"), sorted.size(),
                    emittedOutOfOrder);
        } finally {
            viem.destroyForcibly();
            devnet.restart(1);
            Await.allHealthy(pool);
        }
    }
}
