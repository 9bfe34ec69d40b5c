package io.railyard.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.railyard.testing.FakeTicker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The header deadline's rules on a connection between requests, with time moved by hand (a fake ticker and Netty's
 * embedded event loop) instead of waited for: a head begun must be finished within the deadline, else 408 and close;
 * a kept-alive connection may idle longer than that between requests, up to the idle timeout.
 */
class HeadDeadlineTest {

    private static final Duration HEAD = Duration.ofSeconds(10);
    private static final Duration IDLE = Duration.ofSeconds(60);

    private FakeTicker ticker;
    private AtomicInteger timeouts;
    private EmbeddedChannel channel;

    @BeforeEach
    void connectionAfterItsFirstAnswer() {
        ticker = new FakeTicker();
        timeouts = new AtomicInteger();
        channel = new EmbeddedChannel();
        channel.freezeTime();
        // Named as in Vert.x's pipeline: the 408 is written below the encoder, as raw bytes.
        channel.pipeline().addLast("httpDecoder", new HttpRequestDecoder()).addLast("httpEncoder", new HttpResponseEncoder())
                .addLast("deadline", HeadDeadline.of(HEAD.toNanos(), IDLE.toNanos(), ticker::read, timeouts::incrementAndGet));
        // The first request's answer: the connection is between requests from now on.
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        channel.releaseOutbound();
    }

    private void pass(Duration time) {
        ticker.advance(time);
        channel.advanceTimeBy(time.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    private void send(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
    }

    private String written() {
        StringBuilder out = new StringBuilder();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            if (o instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.US_ASCII));
                b.release();
            }
        }
        return out.toString();
    }

    @Test
    void aHeadNotFinishedWithinTheDeadlineGets408AndTheConnectionIsClosed() {
        send("POST / HTTP/1.1\r\nHost: gateway\r\n");
        pass(HEAD.minusSeconds(1));
        assertTrue(channel.isOpen(), "still within the deadline");
        send("X-Slow: 1\r\n");
        pass(Duration.ofSeconds(2));
        assertFalse(channel.isOpen(), "closed at the deadline, counted from the head's first byte");
        assertTrue(written().startsWith("HTTP/1.1 408 Request Timeout"));
        assertEquals(1, timeouts.get());
    }

    @Test
    void aHeadFinishedWithinTheDeadlineIsServed() {
        send("POST / HTTP/1.1\r\nHost: gateway\r\n");
        pass(HEAD.minusSeconds(1));
        send("Content-Length: 0\r\n\r\n");
        pass(HEAD.multipliedBy(2));
        assertTrue(channel.isOpen(), "the request is being answered: no deadline runs");
        assertEquals(0, timeouts.get());
    }

    @Test
    void aKeptAliveConnectionMayIdleLongerThanTheDeadlineButNotLongerThanTheIdleTimeout() {
        pass(HEAD.multipliedBy(3));
        assertTrue(channel.isOpen(), "idle between requests is not a slow head");
        pass(IDLE);
        assertFalse(channel.isOpen(), "closed once idle past the idle timeout");
        assertFalse(written().contains("408"), "an idle connection is closed without an answer");
        assertEquals(0, timeouts.get());
    }
}
