package io.railyard.edge.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Bounds the time a client may take to send a request head ({@code railyard.limits.header-read-timeout}), counted
 * from the head's first byte, while a kept-alive connection may stay idle between requests for
 * {@code quarkus.http.idle-timeout}. A head that misses the deadline gets 408 and the connection is closed.
 *
 * <p>Vert.x's own idle timer sits after the HTTP decoder, so the bytes of an unfinished head are no activity to it:
 * it cuts a trickled head only when the whole idle timeout has passed, which must be long for kept-alive clients.
 * So a new connection gets Vert.x's timer set to the header deadline (all it can be doing is sending its first head),
 * and at its first request this handler takes that timer's place: it sees the decoder's output as that timer did,
 * and a socket read that yields no message while the connection is between requests as the start of a head.
 * HTTP/2 connections keep Vert.x's timer.
 */
public final class HeadDeadline extends ChannelDuplexHandler {

    private static final AttributeKey<Boolean> INSTALLED = AttributeKey.valueOf("railyard.head-deadline");
    private static final byte[] TIMED_OUT = ("HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    private enum State { BETWEEN_REQUESTS, READING_HEAD, IN_REQUEST }

    private final long headerNanos;
    private final long idleNanos;
    private final LongSupplier nanoTime;
    private final Runnable onTimeout;

    private State state = State.IN_REQUEST;
    /** Requests whose head came in and whose answer has not been written yet (pipelining allows several). */
    private int open = 1;
    private boolean messageThisRead;
    private long lastActivity;
    private long headStarted;
    /** The next look at the connection's timers. */
    private ScheduledFuture<?> nextCheck;

    private HeadDeadline(long headerNanos, long idleNanos, LongSupplier nanoTime, Runnable onTimeout) {
        this.headerNanos = headerNanos;
        this.idleNanos = idleNanos;
        this.nanoTime = nanoTime;
        this.onTimeout = onTimeout;
    }

    /** A deadline on its own, reading {@code nanoTime}; {@link #install} puts one on a live connection. */
    static HeadDeadline of(long headerNanos, long idleNanos, LongSupplier nanoTime, Runnable onTimeout) {
        return new HeadDeadline(headerNanos, idleNanos, nanoTime, onTimeout);
    }

    /**
     * Puts the deadline on the request's connection unless it has it already; called for every request on the
     * main port, on the connection's event loop, before the request is handled.
     */
    static void install(HttpServerRequest request, long headerMs, long idleMs, LongSupplier nanoTime, Runnable onTimeout) {
        if (request.version() == HttpVersion.HTTP_2 || !(request.connection() instanceof ConnectionBase connection)) {
            return;
        }
        Channel channel = connection.channel();
        if (channel.hasAttr(INSTALLED) || !channel.eventLoop().inEventLoop()) {
            return;
        }
        channel.attr(INSTALLED).set(Boolean.TRUE);
        ChannelPipeline pipeline = channel.pipeline();
        HeadDeadline deadline = new HeadDeadline(TimeUnit.MILLISECONDS.toNanos(headerMs),
                TimeUnit.MILLISECONDS.toNanos(idleMs), nanoTime, onTimeout);
        if (pipeline.get("idle") != null) {
            pipeline.replace("idle", "railyard-head-deadline", deadline);
        } else if (pipeline.get("handler") != null) {
            pipeline.addBefore("handler", "railyard-head-deadline", deadline);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastActivity = nanoTime.getAsLong();
        schedule(ctx, idleNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        messageThisRead = true;
        lastActivity = nanoTime.getAsLong();
        if (msg instanceof HttpRequest) {
            open++;
            state = State.IN_REQUEST;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (!messageThisRead && state == State.BETWEEN_REQUESTS) {
            // Bytes came in and the decoder made nothing of them yet: a head has begun.
            state = State.READING_HEAD;
            headStarted = nanoTime.getAsLong();
            if (nextCheck == null || nextCheck.getDelay(TimeUnit.NANOSECONDS) > headerNanos) {
                schedule(ctx, headerNanos);
            }
        }
        messageThisRead = false;
        super.channelReadComplete(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        lastActivity = nanoTime.getAsLong();
        if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.INFORMATIONAL)) {
            if (--open <= 0) {
                open = 0;
                state = State.BETWEEN_REQUESTS;
            }
        }
        super.write(ctx, msg, promise);
    }

    private void check(ChannelHandlerContext ctx) {
        nextCheck = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (state == State.READING_HEAD) {
            long left = headStarted + headerNanos - now;
            if (left <= 0) {
                timedOut(ctx);
            } else {
                schedule(ctx, left);
            }
            return;
        }
        long left = lastActivity + idleNanos - now;
        if (left <= 0) {
            ctx.close();
        } else {
            schedule(ctx, left);
        }
    }

    private void timedOut(ChannelHandlerContext ctx) {
        onTimeout.run();
        // Written below the HTTP encoder, which has no request to answer: raw bytes, then the connection is closed.
        ChannelHandlerContext below = ctx.pipeline().context("httpEncoder");
        (below != null ? below : ctx).writeAndFlush(Unpooled.wrappedBuffer(TIMED_OUT)).addListener(ChannelFutureListener.CLOSE);
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        cancel();
        nextCheck = ctx.executor().schedule(() -> check(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (nextCheck != null) {
            nextCheck.cancel(false);
            nextCheck = null;
        }
    }
}
