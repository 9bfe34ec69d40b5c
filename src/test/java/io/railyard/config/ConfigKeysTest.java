package io.railyard.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The "did you mean" rule: the first segment the mapping does not know, replaced by the closest known one there. */
class ConfigKeysTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NONE", value = {
            "railyard.networks.main.chainId | railyard.networks.main.chain-id",
            "railyard.networks.main.chain_id | railyard.networks.main.chain-id",
            "railyard.networks.\"my.net\".chainid | railyard.networks.\"my.net\".chain-id",
            "railyard.networks.main.upstreams.a.URL | railyard.networks.main.upstreams.a.url",
            "railyard.networks.main.upstream.a.url | railyard.networks.main.upstreams.a.url",
            "railyard.limit.max-in-flight | railyard.limits.max-in-flight",
            "railyard.limits.max-inflight | railyard.limits.max-in-flight",
            "railyard.limits.header-read-timout | railyard.limits.header-read-timeout",
            "railyard.rate-limit.per-ip.burts | railyard.rate-limit.per-ip.burst",
            "railyard.cache.maxBytes | railyard.cache.max-bytes",
            // known names, maps of plain values, and names nothing is close to get no hint
            "railyard.networks.main.chain-id | NONE",
            "railyard.networks.main.upstreams.a.headers.X-Anything | NONE",
            "railyard.limits.max-in-flight.extra | NONE",
            "railyard.completely-unrelated | NONE",
            "quarkus.http.port | NONE"})
    void suggestsTheNearestKnownKey(String wrong, String expected) {
        assertEquals(Optional.ofNullable(expected), ConfigKeys.suggestion(wrong));
    }
}
