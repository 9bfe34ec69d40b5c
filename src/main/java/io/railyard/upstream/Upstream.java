package io.railyard.upstream;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Ethereum node behind a network: its address and weight from configuration, and what is known of it
 * now (in-flight requests, head, finalized block, health). Counters are atomics so that event loops update them
 * without locks.
 */
public final class Upstream {

    private final String network;
    private final String name;
    private final URI url;
    private final int weight;
    private final int index;
    private final Map<String, String> headers;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final UpstreamStats stats = new UpstreamStats();

    private final AtomicLong head = new AtomicLong(-1);
    private final AtomicLong headRaises = new AtomicLong();
    private volatile long finalized = -1;
    private volatile long safe = -1;
    private volatile boolean healthy = true;
    private volatile String stateReason = "not probed yet";
    /** Set with the health checker's first verdict, at startup, on the gateway's clock. */
    private volatile long stateSinceMillis;
    private volatile CircuitBreaker breaker;
    private volatile boolean batchesRejected;

    public Upstream(String network, String name, URI url, int weight, int index, Map<String, String> headers) {
        this.network = network;
        this.name = name;
        this.url = url;
        this.weight = weight;
        this.index = index;
        this.headers = Map.copyOf(headers);
    }

    public String network() {
        return network;
    }

    public String name() {
        return name;
    }

    public URI url() {
        return url;
    }

    /** Where the node is, for logs and pages: provider URLs often carry an API key in the path or query. */
    public String displayUrl() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "");
    }

    /** Relative share of traffic, at least 1. */
    public int weight() {
        return weight;
    }

    /** Position in its pool (0-based), stable for the life of the pool. */
    public int index() {
        return index;
    }

    /** Extra HTTP headers sent with every call (e.g. an Authorization token). */
    public Map<String, String> headers() {
        return headers;
    }

    /** Recent latency, error rate and last error of live traffic. */
    public UpstreamStats stats() {
        return stats;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public void startCall() {
        inFlight.incrementAndGet();
    }

    public void endCall() {
        inFlight.decrementAndGet();
    }

    /** Latest block number the node reported, -1 while unknown. */
    public long head() {
        return head.get();
    }

    /** Sets the head outright (tests, and probes with no answer in between). */
    public void head(long head) {
        this.head.set(head);
    }

    /** An answer showed the node has block {@code number}: its head is at least that until the next probe says. */
    public void raiseHead(long number) {
        if (number > head.get() && UpstreamPool.raise(head, number) == number) {
            headRaises.incrementAndGet();
        }
    }

    /** Counts raises by answers; a probe takes it when it is sent, to tell whether answers came in meanwhile. */
    public long headStamp() {
        return headRaises.get();
    }

    /**
     * What a probe sent at {@code stampAtSend} reported. It is the truth (a restarted or reorged node's head may
     * go down) unless an answer showed a newer block while the probe was on its way: then it only raises.
     */
    public void probedHead(long probed, long stampAtSend) {
        if (headRaises.get() == stampAtSend) {
            head.set(probed);
        } else {
            raiseHead(probed);
        }
    }

    /** Latest finalized block the node reported (or head minus finality depth), -1 while unknown. */
    public long finalized() {
        return finalized;
    }

    public void finalized(long finalized) {
        this.finalized = finalized;
    }

    /** Latest safe block the node reported (or its finalized block when it has no such tag), -1 while unknown. */
    public long safe() {
        return safe;
    }

    public void safe(long safe) {
        this.safe = safe;
    }

    public boolean isHealthy() {
        return healthy;
    }

    /** Why the upstream is in its state, for logs and /status. */
    public String stateReason() {
        return stateReason;
    }

    /** Wall-clock time of the last change between healthy and ejected (epoch millis). */
    public long stateSinceMillis() {
        return stateSinceMillis;
    }

    public void markHealthy(String reason, long nowMillis) {
        this.stateReason = reason;
        if (!healthy) {
            stateSinceMillis = nowMillis;
        }
        this.healthy = true;
    }

    public void markEjected(String reason, long nowMillis) {
        this.stateReason = reason;
        if (healthy) {
            stateSinceMillis = nowMillis;
        }
        this.healthy = false;
    }

    /** Whether the node refused a JSON-RPC batch; its calls then go one by one. */
    public boolean batchesRejected() {
        return batchesRejected;
    }

    public void rejectsBatches() {
        batchesRejected = true;
    }

    /** The breaker on this upstream's live traffic (set once when the pool is built). */
    public CircuitBreaker breaker() {
        return breaker;
    }

    public void breaker(CircuitBreaker breaker) {
        this.breaker = breaker;
    }

    @Override
    public String toString() {
        return network + "/" + name;
    }
}
