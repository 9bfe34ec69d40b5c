package io.railyard.upstream;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.LogCapture;
import io.railyard.testing.Probes;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16, finding 9: an upstream that is unreachable from the start is logged once, with its reason, instead of
 * showing only as 503s to clients. Its log is captured from before the application starts.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = UnreachableAtStartupTest.DeadUpstream.class, restrictToAnnotatedClass = true)
class UnreachableAtStartupTest {

    /** Adds network {@code deadnet} whose only upstream listens nowhere, and captures the log from the start. */
    public static final class DeadUpstream implements QuarkusTestResourceLifecycleManager {
        static LogCapture log;

        @Override
        public Map<String, String> start() {
            log = LogCapture.ofPackage(HealthChecker.class);
            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return Map.of("railyard.networks.deadnet.chain-id", "1",
                    "railyard.networks.deadnet.upstreams.dead.url", "http://127.0.0.1:" + closed,
                    // Probing rounds are run by the test (testing/Probes).
                    "railyard.health.interval", "1h", "railyard.health.timeout", "500ms");
        }

        @Override
        public void stop() {
            if (log != null) {
                log.close();
            }
        }
    }

    FakeNodes fakes;

    @Test
    void anUpstreamDownFromTheStartIsLoggedOnceWithItsReason() {
        Probes.until("the dead upstream reported", () -> DeadUpstream.log.messages().stream()
                .anyMatch(m -> m.contains("deadnet/dead not admitted")), 1);
        for (int round = 0; round < 3; round++) {
            Probes.round();
        }
        List<String> lines = DeadUpstream.log.messages().stream().filter(m -> m.contains("deadnet/dead not admitted")).toList();
        assertEquals(1, lines.size(), "once, not once per probe: " + lines);
        assertTrue(lines.get(0).contains("probe failed") && lines.get(0).contains("Connection refused"), lines.get(0));
    }
}
