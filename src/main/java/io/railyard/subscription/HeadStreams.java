package io.railyard.subscription;

import com.github.benmanes.caffeine.cache.Ticker;
import io.railyard.config.RailyardConfig;
import io.railyard.core.RpcGateway;
import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.metrics.Meters;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import io.railyard.upstream.ws.HeadFeeds;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@link HeadStream} per network, each stepped on its own event loop every {@code subscriptions.poll-interval}
 * and at once when its first subscriber arrives. Streams read the chain through the gateway's own calls, so they
 * get its failover, cache and head rules.
 */
@ApplicationScoped
public class HeadStreams {

    @Inject
    RailyardConfig config;

    @Inject
    UpstreamPools pools;

    @Inject
    RpcGateway gateway;

    @Inject
    Vertx vertx;

    @Inject
    Meters meters;

    @Inject
    HeadFeeds feeds;

    @Inject
    Ticker ticker;

    private final Map<String, HeadStream> streams = new HashMap<>();
    private final Map<String, PendingStream> pending = new HashMap<>();
    private final Map<String, Context> contexts = new HashMap<>();

    void start(@Observes StartupEvent event) {
        long interval = config.subscriptions().pollInterval().toMillis();
        for (UpstreamPool pool : pools.all().values()) {
            String network = pool.network();
            HeadStream stream = new HeadStream(network, new NetworkBlocks(pool), config.subscriptions().maxReorgDepth(),
                    config.subscriptions().maxGapBlocks(), new HeadStream.Events() {
                        @Override
                        public void gapFilled(long blocks) {
                            meters.streamGapsFilled(network, blocks);
                        }

                        @Override
                        public void stepFailed() {
                            meters.streamFailover(network);
                        }

                        @Override
                        public Runnable headFanOut() {
                            long started = ticker.read();
                            return () -> meters.streamFanOut(network, ticker.read() - started);
                        }
                    });
            PendingStream transactions = new PendingStream(network, new NetworkPending(pool));
            for (SubscriptionKind kind : List.of(SubscriptionKind.NEW_HEADS, SubscriptionKind.LOGS)) {
                meters.wsSubscriptionGauge(network, kind.wireName(), stream, s -> s.count(kind));
            }
            meters.wsSubscriptionGauge(network, SubscriptionKind.NEW_PENDING_TRANSACTIONS.wireName(), transactions, PendingStream::count);
            Context context = vertx.getOrCreateContext();
            context.runOnContext(v -> vertx.setPeriodic(interval, id -> {
                stream.advance();
                transactions.advance();
            }));
            pending.put(network, transactions);
            streams.put(network, stream);
            contexts.put(network, context);
        }
        // An upstream announcing a block the stream has not delivered: step now rather than at the next poll.
        feeds.onHead((upstream, head) -> {
            HeadStream stream = streams.get(upstream.network());
            if (stream != null && stream.isFollowed() && head > stream.lastDelivered()) {
                contexts.get(upstream.network()).runOnContext(v -> stream.advance());
            }
        });
    }

    /** The stream of a configured network. */
    public HeadStream of(String network) {
        return streams.get(network);
    }

    /** {@code newPendingTransactions} subscriptions on a network now. */
    public int pendingCount(String network) {
        PendingStream transactions = pending.get(network);
        return transactions == null ? 0 : transactions.count();
    }

    /** Adds a subscriber; the stream's first one makes it read the head at once, so it follows from now. */
    public void subscribe(String network, Subscriber subscriber) {
        if (subscriber.kind() == SubscriptionKind.NEW_PENDING_TRANSACTIONS) {
            PendingStream transactions = pending.get(network);
            boolean first = transactions.count() == 0;
            transactions.add(subscriber);
            if (first) {
                contexts.get(network).runOnContext(v -> transactions.advance());
            }
            return;
        }
        HeadStream stream = streams.get(network);
        boolean first = !stream.isFollowed();
        stream.add(subscriber);
        if (first) {
            contexts.get(network).runOnContext(v -> stream.advance());
        }
    }

    public void unsubscribe(String network, Subscriber subscriber) {
        if (subscriber.kind() == SubscriptionKind.NEW_PENDING_TRANSACTIONS) {
            PendingStream transactions = pending.get(network);
            if (transactions != null) {
                transactions.remove(subscriber);
            }
            return;
        }
        HeadStream stream = streams.get(network);
        if (stream != null) {
            stream.remove(subscriber);
        }
    }

    /** A network's pending transactions through a filter the gateway makes on one of its nodes. */
    private final class NetworkPending implements PendingSource {
        private final UpstreamPool pool;

        NetworkPending(UpstreamPool pool) {
            this.pool = pool;
        }

        @Override
        public Future<String> newFilter() {
            return gateway.ownCall(pool, "eth_newPendingTransactionFilter", "[]").compose(answer -> {
                Object id = answer.isError() || answer.result() == null ? null
                        : Json.decodeValue(new String(answer.result(), StandardCharsets.UTF_8));
                return id instanceof String s ? Future.succeededFuture(s)
                        : Future.failedFuture("no node made a pending-transaction filter: " + answer);
            });
        }

        @Override
        public Future<JsonArray> changes(String filterId) {
            return gateway.ownCall(pool, "eth_getFilterChanges", "[\"" + filterId + "\"]").compose(answer -> {
                Object hashes = answer.isError() || answer.result() == null ? null
                        : Json.decodeValue(new String(answer.result(), StandardCharsets.UTF_8));
                return hashes instanceof JsonArray a ? Future.succeededFuture(a)
                        : Future.failedFuture("filter " + filterId + ": " + answer);
            });
        }

        @Override
        public void uninstall(String filterId) {
            gateway.ownCall(pool, "eth_uninstallFilter", "[\"" + filterId + "\"]");
        }
    }

    /** A network's chain read through the gateway's own calls. */
    private final class NetworkBlocks implements BlockSource {
        private final UpstreamPool pool;

        NetworkBlocks(UpstreamPool pool) {
            this.pool = pool;
        }

        @Override
        public Future<JsonObject> latest() {
            return gateway.ownCall(pool, "eth_getBlockByNumber", "[\"latest\",false]").compose(a -> object(a, "latest block"));
        }

        @Override
        public Future<JsonObject> byHash(String hash) {
            return gateway.ownCall(pool, "eth_getBlockByHash", "[\"" + hash + "\",false]").compose(a -> object(a, "block " + hash));
        }

        @Override
        public Future<JsonArray> logs(String blockHash) {
            return gateway.ownCall(pool, "eth_getLogs", "[{\"blockHash\":\"" + blockHash + "\"}]").compose(answer -> {
                Object value = value(answer);
                return value instanceof JsonArray logs ? Future.succeededFuture(logs)
                        : Future.failedFuture("no logs for block " + blockHash + ": " + answer);
            });
        }

        private Future<JsonObject> object(RpcAnswer answer, String what) {
            Object value = value(answer);
            return value instanceof JsonObject block ? Future.succeededFuture(block)
                    : Future.failedFuture("no node answered the " + what + ": " + answer);
        }

        private Object value(RpcAnswer answer) {
            if (answer.isError() || answer.result() == null) {
                return null;
            }
            return Json.decodeValue(new String(answer.result(), StandardCharsets.UTF_8));
        }
    }
}
