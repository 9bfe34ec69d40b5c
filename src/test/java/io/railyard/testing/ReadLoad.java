package io.railyard.testing;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
        String problem;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoint)
                    .timeout(Duration.ofSeconds(15))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            problem = check(r, id);
        } catch (Exception e) {
            problem = e.toString();
        }
        slowestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), Math::max);
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

    /** Stops the clients after their current request and waits for them. */
    public void stop() throws Exception {
        running.set(false);
        for (Future<?> f : clients) {
            f.get(30, TimeUnit.SECONDS);
        }
        threads.shutdownNow();
    }
}
