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

/** {@code railyard.cors.*}, {@code networks.<net>.cors.*} and {@code api-keys.<key>.allowed-origins} at startup. */
class CorsConfigValidationTest {

    private static RailyardConfig config(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(RailyardConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build();
        return config.getConfigMapping(RailyardConfig.class);
    }

    private static Map<String, String> valid() {
        Map<String, String> p = new HashMap<>();
        p.put("railyard.networks.mainnet.chain-id", "1");
        p.put("railyard.networks.mainnet.upstreams.node-a.url", "http://10.0.0.1:8545");
        return p;
    }

    @Test
    void defaultsLetEveryOriginInForAnHour() {
        RailyardConfig.CorsConfig cors = config(valid()).cors();
        assertTrue(cors.enabled());
        assertEquals(List.of("*"), cors.allowedOrigins());
        assertEquals(Duration.ofHours(1), cors.maxAge());
        assertTrue(cors.allowedHeaders().isEmpty(), "only the built-in content-type, x-api-key, authorization");
        assertEquals(List.of("Retry-After", "RateLimit", "RateLimit-Policy"), cors.exposedHeaders());
        assertTrue(config(valid()).networks().get("mainnet").cors().allowedOrigins().isEmpty());
    }

    @Test
    void aValidCorsConfigurationHasNoMistakes() {
        Map<String, String> p = valid();
        p.put("railyard.cors.allowed-origins", "https://app.example,https://*.example.org,http://127.0.0.1:5173");
        p.put("railyard.cors.max-age", "10m");
        p.put("railyard.cors.allowed-headers", "x-request-id");
        p.put("railyard.networks.mainnet.cors.allowed-origins", "*");
        p.put("railyard.api-keys.web.key", "s");
        p.put("railyard.api-keys.web.allowed-origins", "https://app.example");
        assertEquals(List.of(), ConfigValidator.validate(config(p), false));
    }

    @Test
    void everyCorsMistakeIsOneLineNamingItsKey() {
        Map<String, String> p = valid();
        p.put("railyard.cors.allowed-origins", "https://app.example/,https://*.*.example.org");
        p.put("railyard.cors.max-age", "-5s");
        p.put("railyard.cors.allowed-headers", "x-ok,bad header");
        p.put("railyard.cors.exposed-headers", "Retry-After,Rate:Limit");
        p.put("railyard.networks.mainnet.cors.allowed-origins", "*,https://app.example");
        p.put("railyard.api-keys.web.key", "s");
        p.put("railyard.api-keys.web.allowed-origins", "app.example");
        assertEquals(List.of(
                "railyard.cors.allowed-origins: 'https://app.example/' is not an origin: scheme://host[:port], without a path or a trailing '/' (e.g. https://app.example or http://127.0.0.1:5173)",
                "railyard.cors.allowed-origins: 'https://*.*.example.org' has a bad wildcard: only a whole leftmost label may be '*' (https://*.example.org)",
                "railyard.cors.max-age: must not be negative (was PT-5S)",
                "railyard.cors.allowed-headers: 'bad header' is not an HTTP header name",
                "railyard.cors.exposed-headers: 'Rate:Limit' is not an HTTP header name",
                "railyard.networks.mainnet.cors.allowed-origins: '*' allows every origin, so it must be the only entry (was [*, https://app.example])",
                "railyard.api-keys.web.allowed-origins: 'app.example' is not an origin: scheme://host[:port], without a path or a trailing '/' (e.g. https://app.example or http://127.0.0.1:5173)"),
                ConfigValidator.validate(config(p), false));
    }
}
