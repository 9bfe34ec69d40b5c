package io.railyard.testing;

import io.vertx.core.json.JsonObject;

import java.io.IOException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client threads reading through the gateway in a loop until stopped (or their request budget is spent), every
 * answer checked: HTTP 200, its own id back, a non-null result and no error. Bounded in count as well as in time.
 */
public final class ReadLoad {

    public final AtomicLong total = new AtomicLong();
    public final AtomicLong failed = new AtomicLong();
    public final AtomicLong slowestMs = new AtomicLong();
    /** Reads resent once because their kept-alive connection was closed before any byte of the answer. */
    public final AtomicLong resentOnClosedConnection = new AtomicLong();
    /** Answers that showed a head older than one an earlier answer (finished before the request left) showed. */
    public final AtomicLong headWentBack = new AtomicLong();
    /** The first ten of those. */
    public final List<String> backwards = Collections.synchronizedList(new ArrayList<>());
    /** Every request's duration in microseconds, for percentiles. */
    private final Queue<Long> latenciesMicros = new ConcurrentLinkedQueue<>();
    /** The highest head any finished answer showed ({@code eth_blockNumber} or a {@code latest} block). */
    private final AtomicLong highestHeadShown = new AtomicLong(-1);
    /** The first ten failures: request body, then what was wrong. */
    public final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ExecutorService threads;
    private final List<Future<?>> clients = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private ReadLoad(int clients) {
        this.threads = Executors.newFixedThreadPool(clients);
    }

    /**
     * @param calls JSON members naming a read, e.g. {@code "method":"eth_chainId","params":[]}; client {@code c}
     *              sends them in turn starting at {@code c}
     */
    public static ReadLoad start(URI endpoint, int clients, int maxRequestsPerClient, List<String> calls) {
        ReadLoad load = new ReadLoad(clients);
        for (int c = 0; c < clients; c++) {
            int client = c;
            load.clients.add(load.threads.submit(() -> {
                for (int i = 0; i < maxRequestsPerClient && load.running.get(); i++) {
                    long id = client * 1_000_000L + i;
                    String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + "," + calls.get((client + i) % calls.size()) + "}";
                    load.send(endpoint, body, id);
                }
            }));
        }
        return load;
    }

    private void send(URI endpoint, String body, long id) {
        long started = System.nanoTime();
        long floor = highestHeadShown.get();
        String problem;
        try {
            HttpRequest request = HttpRequest.newBuilder(endpoint)
                    .timeout(Duration.ofSeconds(15))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            HttpResponse<String> r;
            try {
                r = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains("header parser received no bytes")) {
                    throw e;
                }
                // A kept-alive connection was found closed before any byte of the answer came back. The JDK client
                // resends only GETs on that; HTTP clients resend idempotent requests so (RFC 9110 section 9.2.2),
                // as browsers do for fetch. Counted, once, and a second failure is a failure.
                resentOnClosedConnection.incrementAndGet();
                r = http.send(request, HttpResponse.BodyHandlers.ofString());
            }
            problem = check(r, id);
            if (problem == null) {
                checkHead(body, r.body(), floor);
            }
        } catch (Exception e) {
            problem = e.toString();
        }
        long nanos = System.nanoTime() - started;
        latenciesMicros.add(TimeUnit.NANOSECONDS.toMicros(nanos));
        slowestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(nanos), Math::max);
        total.incrementAndGet();
        if (problem != null) {
            failed.incrementAndGet();
            if (failures.size() < 10) {
                failures.add(body + " -> " + problem);
            }
        }
    }

    private static String check(HttpResponse<String> r, long id) {
        if (r.statusCode() != 200) {
            return "HTTP " + r.statusCode() + " " + r.body();
        }
        JsonObject answer;
        try {
            answer = new JsonObject(r.body());
        } catch (RuntimeException e) {
            return "not JSON: " + r.body();
        }
        if (answer.containsKey("error") || answer.getValue("result") == null || answer.getLong("id") != id) {
            return r.body();
        }
        return null;
    }

    /** The head an answer shows, when it is an {@code eth_blockNumber} or a {@code latest} block. */
    static long headShown(String request, String answer) {
        Object result = new JsonObject(answer).getValue("result");
        if (request.contains("\"eth_blockNumber\"") && result instanceof String n) {
            return Long.decode(n);
        }
        if (request.contains("\"eth_getBlockByNumber\"") && request.contains("\"latest\"") && result instanceof JsonObject block) {
            return Long.decode(block.getString("number"));
        }
        return -1;
    }

    private void checkHead(String request, String answer, long floor) {
        long head = headShown(request, answer);
        if (head < 0) {
            return;
        }
        if (head < floor) {
            headWentBack.incrementAndGet();
            if (backwards.size() < 10) {
                backwards.add(request + " -> " + head + " after " + floor + " was shown");
            }
        }
        highestHeadShown.accumulateAndGet(head, Math::max);
    }

    /** The given percentile (0-100) of request durations so far, in milliseconds. */
    public double percentileMs(double percentile) {
        long[] sorted = latenciesMicros.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(percentile / 100 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }

    /** One line for logs and the README: counts, failures, percentiles. */
    public String summary() {
        return String.format("%d reads, %d failed, %d heads back, p50 %.1f ms, p99 %.1f ms, slowest %d ms, %d resent on a"
                        + " closed keep-alive connection", total.get(), failed.get(), headWentBack.get(), percentileMs(50),
                percentileMs(99), slowestMs.get(), resentOnClosedConnection.get());
    }

    /** Stops the clients after their current request and waits for them. */
    public void stop() throws Exception {
        running.set(false);
        for (Future<?> f : clients) {
            f.get(30, TimeUnit.SECONDS);
        }
        threads.shutdownNow();
    }
}
