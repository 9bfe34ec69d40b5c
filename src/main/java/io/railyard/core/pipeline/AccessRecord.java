package io.railyard.core.pipeline;

import com.github.benmanes.caffeine.cache.Ticker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one client request did, gathered by the pipeline stages for the access log: which upstreams answered
 * and how many entries the cache served. Only made when the access log is on; entries of one batch finish on
 * several event loops, hence the concurrent queue.
 */
public final class AccessRecord {

    private static final int MAX_LISTED = 10;

    private final Ticker ticker;
    private final long startedNanos;
    private final RequestId requestId;
    private final Queue<String> upstreams = new ConcurrentLinkedQueue<>();
    private final Queue<String> methods = new ConcurrentLinkedQueue<>();
    /** Batch entries served from the cache count up from several event loops at once. */
    private final AtomicInteger cacheHits = new AtomicInteger();
    private volatile String network = "";
    private volatile String client = "";

    public AccessRecord(RequestId requestId, Ticker ticker) {
        this.requestId = requestId;
        this.ticker = ticker;
        this.startedNanos = ticker.read();
    }

    public void network(String network) {
        this.network = network;
    }

    public void client(String client) {
        this.client = client;
    }

    public void method(String method) {
        if (methods.size() < MAX_LISTED) {
            methods.add(method);
        }
    }

    public void upstream(String name) {
        if (upstreams.size() < MAX_LISTED) {
            upstreams.add(name);
        }
    }

    public void cacheHit() {
        cacheHits.incrementAndGet();
    }

    public String line(int status, boolean json) {
        long micros = (ticker.read() - startedNanos) / 1000;
        if (json) {
            return new JsonObject()
                    .put("requestId", requestId.toString())
                    .put("network", network)
                    .put("client", client)
                    .put("methods", new JsonArray(methods.stream().toList()))
                    .put("upstreams", new JsonArray(upstreams.stream().toList()))
                    .put("cacheHits", cacheHits.get())
                    .put("status", status)
                    .put("durationMs", micros / 1000.0)
                    .encode();
        }
        return "request=" + requestId + " network=" + network + " client=" + client + " methods=" + String.join(",", methods)
                + " upstreams=" + String.join(",", upstreams) + " cache_hits=" + cacheHits.get() + " status=" + status
                + " duration_ms=" + (micros / 1000.0);
    }
}
