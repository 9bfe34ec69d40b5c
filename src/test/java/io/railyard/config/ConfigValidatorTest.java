package io.railyard.config;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigValidatorTest {

    private static RailyardConfig config(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(RailyardConfig.class)
                // Quarkus's converter, so "2s" reads as it does in the application.
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build();
        return config.getConfigMapping(RailyardConfig.class);
    }

    private static Map<String, String> valid() {
        Map<String, String> p = new HashMap<>();
        p.put("railyard.networks.mainnet.chain-id", "1");
        p.put("railyard.networks.mainnet.upstreams.node-a.url", "http://10.0.0.1:8545");
        p.put("railyard.networks.mainnet.upstreams.node-b.url", "https://eth.example/v2?key=x");
        p.put("railyard.networks.mainnet.upstreams.node-b.weight", "3");
        return p;
    }

    @Test
    void aValidConfigurationHasNoMistakes() {
        assertEquals(List.of(), ConfigValidator.validate(config(valid()), false));
    }

    @Test
    void defaultsAreSensible() {
        RailyardConfig c = config(valid());
        assertEquals(Routing.ROUND_ROBIN, c.networks().get("mainnet").routing());
        assertEquals(64, c.networks().get("mainnet").finalityDepth());
        assertTrue(c.networks().get("mainnet").broadcastTransactions());
        assertTrue(c.cache().enabled());
        assertTrue(c.cache().maxBytes().isEmpty(), "unset: the bound follows the heap");
        assertEquals(5, c.health().maxLag());
    }

    @Test
    void noNetworkFailsOutsideDevModeWithOneLineSayingHowToConfigureOne() {
        List<String> errors = ConfigValidator.validate(config(Map.of()), false);
        assertEquals(List.of(ConfigValidator.NO_NETWORK), errors);
        assertTrue(errors.get(0).contains("railyard.networks.<name>.upstreams.<node>.url"));
        assertEquals(List.of(), ConfigValidator.validate(config(Map.of()), true), "dev mode starts a devnet instead");
    }

    @Test
    void everyMistakeIsOneLineNamingItsKey() {
        Map<String, String> p = valid();
        p.put("railyard.networks.mainnet.upstreams.node-a.url", "ftp://10.0.0.1");
        p.put("railyard.networks.mainnet.upstreams.node-b.weight", "0");
        p.put("railyard.networks.mainnet.finality-depth", "-1");
        p.put("railyard.default-network", "sepolia");
        p.put("railyard.limits.max-batch-items", "0");
        p.put("railyard.trusted-proxies", "10.0.0.0/8,proxy.internal");
        p.put("railyard.health.max-lag", "-2");
        List<String> errors = ConfigValidator.validate(config(p), false);
        assertEquals(List.of(
                "railyard.default-network: 'sepolia' is not a configured network (configured: mainnet)",
                "railyard.networks.mainnet.finality-depth: must not be negative (was -1)",
                "railyard.networks.mainnet.upstreams.node-a.url: not an http(s) URL ('ftp://10.0.0.1')",
                "railyard.networks.mainnet.upstreams.node-b.weight: must be at least 1 (was 0)",
                "railyard.limits.max-batch-items: must be greater than zero (was 0)",
                "railyard.health.max-lag: must not be negative (was -2)",
                "railyard.trusted-proxies: 'proxy.internal' is not an IP address or CIDR range"), errors);
    }

    @Test
    void webSocketAndSubscriptionMistakesAreOneLineEach() {
        Map<String, String> p = valid();
        p.put("railyard.networks.mainnet.upstreams.node-a.ws-url", "http://10.0.0.1:8546");
        p.put("railyard.websocket.max-message-bytes", "0");
        p.put("railyard.subscriptions.max-reorg-depth", "0");
        List<String> errors = ConfigValidator.validate(config(p), false);
        assertEquals(List.of(
                "railyard.networks.mainnet.upstreams.node-a.ws-url: not a ws(s) URL ('http://10.0.0.1:8546')",
                "railyard.websocket.max-message-bytes: must be greater than zero (was 0)",
                "railyard.subscriptions.max-reorg-depth: must be greater than zero (was 0)"), errors);
    }

    @Test
    void networkWithoutUpstreamsAndABadChainIdAreReported() {
        Map<String, String> p = new HashMap<>();
        p.put("railyard.networks.empty.chain-id", "0");
        p.put("railyard.networks.empty.routing", "ip-hash");
        List<String> errors = ConfigValidator.validate(config(p), false);
        assertTrue(errors.contains("railyard.networks.empty.chain-id: must be a positive chain id (was 0)"), errors.toString());
        assertTrue(errors.contains("railyard.networks.empty.upstreams: no upstream configured; add railyard.networks.empty.upstreams.<node>.url"),
                errors.toString());
    }

    private static final long MIB = 1024 * 1024;

    @Test
    void theCacheBoundIsAQuarterOfTheHeapUnlessConfigured() {
        assertEquals(64 * MIB, HeapShares.orQuarterOfHeap(config(valid()).cache().maxBytes(), 256 * MIB));
        assertEquals(144 * MIB, HeapShares.orQuarterOfHeap(config(valid()).cache().maxBytes(), 576 * MIB), "the chart's default heap");
        Map<String, String> p = valid();
        p.put("railyard.cache.max-bytes", "100000000");
        assertEquals(100_000_000L, HeapShares.orQuarterOfHeap(config(p).cache().maxBytes(), 256 * MIB));
    }

    @Test
    void aCacheBoundAboveHalfTheHeapIsRefusedAtStartupWithOneLine() {
        Map<String, String> p = valid();
        p.put("railyard.cache.max-bytes", "268435456");
        assertEquals(List.of("railyard.cache.max-bytes: 268435456 is more than half the maximum heap (256 MiB), and the"
                        + " cache lives in the heap; use at most 134217728, raise -Xmx, or leave the key unset for a quarter of the heap"),
                ConfigValidator.validate(config(p), false, 256 * MIB));
        assertEquals(List.of(), ConfigValidator.validate(config(p), false, 1024 * MIB), "a quarter of a 1 GiB heap fits");
        p.put("railyard.cache.max-bytes", String.valueOf(128 * MIB));
        assertEquals(List.of(), ConfigValidator.validate(config(p), false, 256 * MIB), "exactly half is allowed");
        p.put("railyard.cache.max-bytes", "0");
        assertEquals(List.of("railyard.cache.max-bytes: must be greater than zero (was 0)"),
                ConfigValidator.validate(config(p), false, 256 * MIB));
    }

    @Test
    void aZeroProbeTimeoutIsOneLineAndUnsetIsFine() {
        Map<String, String> p = valid();
        assertEquals(List.of(), ConfigValidator.validate(config(p), false, 256 * MIB));
        p.put("railyard.health.timeout", "0s");
        assertEquals(List.of("railyard.health.timeout: must be greater than zero (was 0)"),
                ConfigValidator.validate(config(p), false, 256 * MIB));
    }

    @Test
    void overloadMarksOutOfOrderAreOneLine() {
        Map<String, String> p = valid();
        p.put("railyard.overload.low-water", "0.95");
        p.put("railyard.overload.high-water", "0.9");
        assertEquals(List.of("railyard.overload: low-water and high-water must satisfy 0 < low-water < high-water <= 1"
                + " (were 0.95 and 0.9)"), ConfigValidator.validate(config(p), false));
    }

    /** Choices are enums SmallRye Config maps itself: a wrong one is refused before validation, naming the valid ones. */
    @Test
    void aChoiceOutsideItsEnumIsRefusedWithTheValidNames() {
        for (Map.Entry<String, String> wrong : Map.of(
                "railyard.networks.mainnet.routing", "random",
                "railyard.rate-limit.backend", "memcached",
                "railyard.rate-limit.redis-failure-mode", "fail-maybe",
                "railyard.access-log.format", "xml").entrySet()) {
            Map<String, String> p = valid();
            p.put(wrong.getKey(), wrong.getValue());
            RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> config(p));
            String message = String.valueOf(e.getMessage());
            assertTrue(message.contains(wrong.getValue()), wrong + ": " + message);
        }
        Map<String, String> p = valid();
        p.put("railyard.networks.mainnet.routing", "least-connections");
        p.put("railyard.rate-limit.redis-failure-mode", "fail-closed");
        RailyardConfig c = config(p);
        assertEquals(Routing.LEAST_CONNECTIONS, c.networks().get("mainnet").routing());
        assertEquals(RedisFailureMode.FAIL_CLOSED, c.rateLimit().redisFailureMode());
    }
}
