package io.railyard.edge.http;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.testing.HeadlessChromium;
import io.railyard.testing.Metrics;
import io.railyard.testing.PageServer;
import io.railyard.upstream.UpstreamPools;
import io.restassured.RestAssured;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.JavascriptExecutor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A browser dApp through Railyard, in Debian's headless Chromium: a page on one loopback origin loads ethers' browser
 * bundle (from the build's npm install) and, through the gateway on another origin, reads the chain id, the block
 * number and a balance, sends ethers' default batch, and calls {@code fetch()} with an {@code X-Api-Key} header;
 * the page sees a key's 403 and a 429 with its {@code Retry-After}. The same page on an origin the gateway does
 * not allow gets nothing, and the gateway counts the refusal.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = CorsBrowserTest.Sites.class, restrictToAnnotatedClass = true)
class CorsBrowserTest {

    static final Path ETHERS = Path.of("src/test/anvil/node_modules/ethers/dist/ethers.umd.min.js");

    /** The two sites the browser visits. */
    public record Origins(String allowed, String refused) {
    }

    /** Serves the test dApp from two origins, one of them allowed, and configures the gateway and its keys for them. */
    public static final class Sites implements QuarkusTestResourceLifecycleManager {
        private PageServer allowed;
        private PageServer refused;

        @Override
        public Map<String, String> start() {
            if (!Files.isRegularFile(ETHERS)) {
                throw new IllegalStateException(ETHERS + " is missing: the build installs it with npm ci (src/test/anvil/install.sh)");
            }
            Map<String, PageServer.Page> pages;
            try (InputStream html = CorsBrowserTest.class.getResourceAsStream("/cors/dapp.html")) {
                pages = Map.of(
                        "/dapp.html", new PageServer.Page("text/html; charset=utf-8", html.readAllBytes()),
                        "/ethers.umd.min.js", new PageServer.Page("text/javascript", Files.readAllBytes(ETHERS)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            allowed = PageServer.start(pages);
            refused = PageServer.start(pages);
            Map<String, String> config = new HashMap<>();
            config.put("railyard.cors.allowed-origins", allowed.origin());
            config.put("railyard.api-keys.web.key", "web-secret");
            config.put("railyard.api-keys.web.allowed-origins", allowed.origin());
            config.put("railyard.api-keys.elsewhere.key", "elsewhere-secret");
            config.put("railyard.api-keys.elsewhere.allowed-origins", "https://partner.example");
            config.put("railyard.api-keys.tight.key", "tight-secret");
            config.put("railyard.api-keys.tight.rate", "1");
            config.put("railyard.api-keys.tight.burst", "1");
            return config;
        }

        @Override
        public void inject(TestInjector injector) {
            injector.injectIntoFields(new Origins(allowed.origin(), refused.origin()), new TestInjector.MatchesType(Origins.class));
        }

        @Override
        public void stop() {
            allowed.close();
            refused.close();
        }
    }

    FakeNodes fakes;
    Origins origins;

    @Inject
    UpstreamPools pools;

    private HeadlessChromium browser;

    @BeforeEach
    void start() throws IOException {
        HeadlessChromium.assumeInstalled("the CORS browser test");
        fakes.resetAll();
        Await.allHealthy(pools.pool(FakeNodesResource.NETWORK));
        fakes.nodes().forEach(n -> n.result("eth_getBalance", "\"0xde0b6b3a7640000\""));
        fakes.nodes().forEach(FakeUpstream::resetCounts);
        browser = HeadlessChromium.start();
    }

    @AfterEach
    void stop() throws IOException {
        if (browser != null) {
            browser.close();
        }
    }

    private String rpcUrl() {
        return "http://127.0.0.1:" + RestAssured.port + "/" + FakeNodesResource.NETWORK;
    }

    /** Runs one of the page's async functions and returns what it resolved to. */
    private JsonObject run(String function, Object... args) {
        Object result = ((JavascriptExecutor) browser.driver()).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + function + "(...Array.from(arguments).slice(0, -1))"
                        + ".then(r => done(JSON.stringify(r)), e => done(JSON.stringify({fatal: String(e && (e.stack || e))})));",
                args);
        JsonObject out = new JsonObject((String) result);
        assertTrue(!out.containsKey("fatal"), function + " failed in the page: " + out.getString("fatal"));
        return out;
    }

    @Test
    void aDappOnAnAllowedOriginWorksThroughTheGatewayWithEthersAndFetch() {
        browser.driver().get(origins.allowed() + "/dapp.html");
        assertEquals("Railyard CORS test dApp", browser.driver().getTitle());

        JsonObject out = run("dapp", rpcUrl(), Map.of("web", "web-secret", "elsewhere", "elsewhere-secret", "tight", "tight-secret"));

        assertEquals("1", out.getString("chainId"), "ethers detected the network through the gateway");
        assertEquals(100, out.getInteger("blockNumber"), "the fake chain's head");
        assertEquals("1000000000000000000", out.getString("balance"));
        JsonObject batch = out.getJsonObject("batch");
        assertEquals(100, batch.getInteger("block"));
        assertEquals("1000000000000000000", batch.getString("balance"));
        assertEquals("0x1", batch.getString("chainId"));
        JsonArray sizes = out.getJsonArray("batchSizes");
        assertEquals(1, sizes.size(), "ethers sent its three calls as one request: " + sizes);
        assertTrue(sizes.getInteger(0) >= 2, "as a JSON-RPC batch: " + sizes);
        assertEquals(2, fakes.calls("eth_getBalance"), "both balances came from a node");

        JsonObject keyed = out.getJsonObject("keyed");
        assertEquals(200, keyed.getInteger("status"), "fetch() with X-Api-Key passed its preflight: " + keyed);
        assertEquals("0x1", keyed.getJsonObject("body").getString("result"));

        JsonObject otherSitesKey = out.getJsonObject("otherSitesKey");
        assertEquals(403, otherSitesKey.getInteger("status"), "a key limited to another site: " + otherSitesKey);
        JsonObject error = otherSitesKey.getJsonObject("body").getJsonObject("error");
        assertEquals(-32001, error.getInteger("code"));
        assertTrue(error.getString("message").contains(origins.allowed()), "the page reads which origin was refused: " + error);

        JsonObject limited = out.getJsonObject("limited");
        assertEquals(429, limited.getInteger("status"), "the page sees the real error, not an opaque CORS failure: " + limited);
        assertEquals(-32005, limited.getJsonObject("body").getJsonObject("error").getInteger("code"));
        assertEquals("1", limited.getString("retryAfter"), "Retry-After is exposed to the page");
        System.out.printf("browser dApp on %s through %s: chain %s, block %d, ethers batch sizes %s, keyed fetch %d, other site's key %d, limited %d%n",
                origins.allowed(), rpcUrl(), out.getString("chainId"), out.getInteger("blockNumber"), sizes,
                keyed.getInteger("status"), otherSitesKey.getInteger("status"), limited.getInteger("status"));
    }

    @Test
    void aDappOnARefusedOriginGetsNothingAndTheGatewayCountsIt() {
        double before = Metrics.value("railyard_cors_refused_total{network=\"" + FakeNodesResource.NETWORK + "\"}");
        browser.driver().get(origins.refused() + "/dapp.html");

        JsonObject out = run("refusedDapp", rpcUrl());

        assertEquals("TypeError: Failed to fetch", out.getString("fetch"), "the browser blocked fetch(): " + out);
        assertTrue(!"answered".equals(out.getString("ethers")), "ethers got no answer either: " + out);
        double refusals = Metrics.value("railyard_cors_refused_total{network=\"" + FakeNodesResource.NETWORK + "\"}") - before;
        assertTrue(refusals >= 2, "each blocked preflight was counted (" + refusals + ")");
        assertEquals(0, fakes.trafficCalls(), "nothing reached a node");
        System.out.printf("browser dApp on refused %s: fetch '%s', ethers '%s', %.0f refusals counted%n",
                origins.refused(), out.getString("fetch"), out.getString("ethers"), refusals);
    }
}
