package io.railyard.core.stages;

import io.railyard.core.pipeline.RequestId;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.UpstreamFailure;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reason classes a client may read: one per failure kind, and none of the details the failure carries. */
class FailureReasonsTest {

    private static final Upstream NODE = new Upstream("mainnet", "node-a", URI.create("http://10.0.0.1:8545"), 1, 0, Map.of());

    @Test
    void everyKindHasAReasonFreeOfTheFailuresDetails() {
        for (UpstreamFailure.Kind kind : UpstreamFailure.Kind.values()) {
            UpstreamFailure failure = new UpstreamFailure(kind, NODE, "AnnotatedConnectException: Connection refused: /10.0.0.1:8545");
            assertFalse(failure.reason().isBlank(), kind.name());
            assertFalse(failure.reason().contains("10.0.0.1") || failure.reason().contains("8545")
                    || failure.reason().contains("Exception") || failure.reason().contains("node-a"), kind + ": " + failure.reason());
            assertTrue(failure.getMessage().contains("10.0.0.1:8545"), "the details stay in the message, for the log");
        }
    }

    @Test
    void aServerErrorIsToldWithItsStatus() {
        assertEquals("HTTP 502", new UpstreamFailure(UpstreamFailure.Kind.HTTP_5XX, NODE, 502, "HTTP 502").reason());
        assertEquals("rate limited upstream", new UpstreamFailure(UpstreamFailure.Kind.RATE_LIMITED, NODE, 429, "HTTP 429").reason());
        assertEquals("connection refused", new UpstreamFailure(UpstreamFailure.Kind.CONNECT, NODE, "x").reason());
        assertEquals("timeout", new UpstreamFailure(UpstreamFailure.Kind.TIMEOUT, NODE, "x").reason());
        assertEquals("bad answer", new UpstreamFailure(UpstreamFailure.Kind.BAD_REPLY, NODE, "x").reason());
        assertEquals("circuit open", new UpstreamFailure(UpstreamFailure.Kind.BREAKER_OPEN, NODE, "x").reason());
    }

    @Test
    void theClientsMessagesFillTheirTemplateAndDropTheReasonWhenThereWasNoTry() {
        assertEquals("every upstream tried failed (last: timeout)", Unavailable.EVERY_TRY_FAILED.message("timeout"));
        assertEquals("no answer within the request deadline", Unavailable.DEADLINE.message(null));
        assertEquals("no healthy upstream for network mainnet", Unavailable.NO_HEALTHY_UPSTREAM.message("mainnet"));
        assertEquals("request cancelled by the client", Unavailable.CANCELLED.message(null));
    }

    @Test
    void aRequestIdIsTwelveHexDigitsAndTheSameEveryTimeItIsRead() {
        RequestId id = RequestId.next();
        assertTrue(id.toString().matches("[0-9a-f]{12}"), id.toString());
        assertEquals(id.toString(), id.toString());
        assertFalse(id.toString().equals(RequestId.next().toString()));
    }
}
