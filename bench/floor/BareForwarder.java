import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The benchmark's "JVM floor": the least a Vert.x proxy can do — read the body, POST it round-robin to an upstream
 * over pooled keep-alive connections, relay the answer. No Quarkus, no JSON-RPC parsing, no cache, limits, health,
 * breaker, metrics or timeouts. Built on the same Vert.x and Netty as the gateway (the jar's lib/main), epoll
 * transport, one verticle and one upstream client per event loop. Not part of Railyard: bench/run.sh compiles and
 * runs it beside the gateway, so that the table shows which part of the distance to HAProxy is the stack and which
 * is Railyard.
 *
 * <p>Arguments: one {@code LISTEN_PORT=UPSTREAM_PORT,UPSTREAM_PORT,...} per listener, all on 127.0.0.1.
 */
public final class BareForwarder {

    public static void main(String[] args) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        int loops = 2 * Runtime.getRuntime().availableProcessors();
        for (String listener : args) {
            int listen = Integer.parseInt(listener.substring(0, listener.indexOf('=')));
            int[] upstreams = Arrays.stream(listener.substring(listener.indexOf('=') + 1).split(",")).mapToInt(Integer::parseInt).toArray();
            AtomicInteger next = new AtomicInteger();
            vertx.deployVerticle(() -> new AbstractVerticle() {
                @Override
                public void start() {
                    // One client per event loop, as in the gateway: a call then never leaves the thread of its request.
                    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                            new PoolOptions().setHttp1MaxSize(Math.max(1, 64 / loops)));
                    vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(request -> request.body()
                            .compose(body -> client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                                            .setPort(upstreams[Math.floorMod(next.getAndIncrement(), upstreams.length)]).setURI("/")
                                            .putHeader("content-type", "application/json"))
                                    .compose(upstream -> upstream.send(body)).compose(HttpClientResponse::body))
                            .onSuccess(answer -> request.response().putHeader("content-type", "application/json").end(answer))
                            .onFailure(e -> request.response().setStatusCode(502).end())).listen(listen, "127.0.0.1");
                }
            }, new DeploymentOptions().setInstances(loops)).onFailure(e -> {
                e.printStackTrace();
                System.exit(1);
            });
        }
    }
}
