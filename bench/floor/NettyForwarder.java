import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The benchmark's second floor, one layer below {@code BareForwarder}: the same forwarding written straight on Netty
 * (the layer Vert.x itself is built on), without Vert.x. It aggregates the request, POSTs it round-robin to an
 * upstream over keep-alive connections pooled per event loop (so a call never leaves its request's thread) and relays
 * the answer. Nothing else: no JSON-RPC, no timeouts, no HTTP pipelining (wrk does not pipeline). The same Netty and
 * epoll transport as the gateway (the jar's lib/main), as many event loops as Vert.x's default. Not part of Railyard:
 * bench/run.sh compiles and runs it so that the table shows where the JVM stack's own floor lies beside HAProxy.
 *
 * <p>Arguments: one {@code LISTEN_PORT=UPSTREAM_PORT,UPSTREAM_PORT,...} per listener, all on 127.0.0.1.
 */
public final class NettyForwarder {

    /** The client connection a forwarded request waits on: the answer goes back to it. */
    private static final AttributeKey<ChannelHandlerContext> CALLER = AttributeKey.valueOf("caller");

    public static void main(String[] args) throws InterruptedException {
        int loops = 2 * Runtime.getRuntime().availableProcessors();
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = epoll ? new EpollEventLoopGroup(loops) : new NioEventLoopGroup(loops);
        Class<? extends ServerSocketChannel> serverChannel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends SocketChannel> clientChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        for (String listener : args) {
            int listen = Integer.parseInt(listener.substring(0, listener.indexOf('=')));
            int[] ports = Arrays.stream(listener.substring(listener.indexOf('=') + 1).split(",")).mapToInt(Integer::parseInt).toArray();
            Upstreams upstreams = new Upstreams(ports, clientChannel);
            new ServerBootstrap().group(group).channel(serverChannel)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Front(upstreams));
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", listen)).sync();
        }
        Thread.currentThread().join();
    }

    /** The upstream ports and, per event loop, their idle connections and the round-robin position. */
    private static final class Upstreams {
        final int[] ports;
        final Class<? extends SocketChannel> channel;
        final FastThreadLocal<Idle> idle = new FastThreadLocal<>() {
            @Override
            protected Idle initialValue() {
                return new Idle(ports.length);
            }
        };

        Upstreams(int[] ports, Class<? extends SocketChannel> channel) {
            this.ports = ports;
            this.channel = channel;
        }
    }

    private static final class Idle {
        final ArrayDeque<Channel>[] byUpstream;
        int next;

        @SuppressWarnings("unchecked")
        Idle(int upstreams) {
            byUpstream = new ArrayDeque[upstreams];
            for (int i = 0; i < upstreams; i++) {
                byUpstream[i] = new ArrayDeque<>();
            }
        }
    }

    /** A client's connection: forwards each request on an idle (or new) upstream connection of its own event loop. */
    private static final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Upstreams upstreams;

        Front(Upstreams upstreams) {
            this.upstreams = upstreams;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Idle idle = upstreams.idle.get();
            int i = idle.next++ % upstreams.ports.length;
            ByteBuf body = request.content().retain();
            FullHttpRequest call = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/", body);
            call.headers().set(HttpHeaderNames.HOST, "127.0.0.1")
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            ArrayDeque<Channel> pool = idle.byUpstream[i];
            Channel pooled;
            while ((pooled = pool.pollLast()) != null && !pooled.isActive()) {
                // Closed by the upstream while idle: drop it.
            }
            if (pooled != null) {
                pooled.attr(CALLER).set(ctx);
                pooled.writeAndFlush(call);
                return;
            }
            new Bootstrap().group(ctx.channel().eventLoop()).channel(upstreams.channel)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 << 20), new Back(pool));
                        }
                    })
                    .connect(new InetSocketAddress("127.0.0.1", upstreams.ports[i]))
                    .addListener((ChannelFutureListener) connected -> {
                        if (!connected.isSuccess()) {
                            call.release();
                            badGateway(ctx);
                            return;
                        }
                        connected.channel().attr(CALLER).set(ctx);
                        connected.channel().writeAndFlush(call);
                    });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // wrk resets its connections when a run ends.
            ctx.close();
        }
    }

    /** An upstream connection: relays each answer to the client waiting on it, then goes back to the idle pool. */
    private static final class Back extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final ArrayDeque<Channel> pool;

        Back(ArrayDeque<Channel> pool) {
            this.pool = pool;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse answer) {
            ChannelHandlerContext caller = ctx.channel().attr(CALLER).getAndSet(null);
            if (HttpUtil.isKeepAlive(answer)) {
                pool.addLast(ctx.channel());
            } else {
                ctx.close();
            }
            if (caller == null) {
                return;
            }
            ByteBuf content = answer.content().retain();
            FullHttpResponse reply = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(), content);
            reply.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            caller.writeAndFlush(reply);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ChannelHandlerContext caller = ctx.channel().attr(CALLER).getAndSet(null);
            if (caller != null) {
                badGateway(caller);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void badGateway(ChannelHandlerContext caller) {
        FullHttpResponse reply = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY);
        reply.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        caller.writeAndFlush(reply);
    }
}
