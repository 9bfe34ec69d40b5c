package io.railyard.bench;

import io.railyard.config.Routing;
import io.railyard.upstream.SelectionPolicy;
import io.railyard.upstream.Upstream;
import io.railyard.upstream.select.SelectionPolicies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One pick of each routing policy over 3 and 30 upstreams, with every upstream a candidate and with one ejected
 * (the candidates a strict subset of the pool: round-robin's slower path). The cost per pick should not grow
 * much from 3 to 30.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SelectionBenchmark {

    @Param({"round-robin", "least-connections", "ip-hash"})
    public String routing;

    @Param({"3", "30"})
    public int upstreams;

    /** Whether one upstream (the second) is left out of the candidates, as when it is ejected. */
    @Param({"false", "true"})
    public boolean oneEjected;

    private SelectionPolicy policy;
    private List<Upstream> candidates;
    private final String[] clients = new String[1024];
    private int next;

    @Setup
    public void setup() {
        List<Upstream> all = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < upstreams; i++) {
            Upstream u = new Upstream("bench", "node-" + i, URI.create("http://10.0.0." + (i + 1) + ":8545"), 1, i, Map.of());
            // A few calls in flight, as under load, so that least-connections compares rather than only breaks ties.
            for (int k = random.nextInt(4); k > 0; k--) {
                u.startCall();
            }
            all.add(u);
        }
        policy = new SelectionPolicies().create(Routing.valueOf(routing.toUpperCase(Locale.ROOT).replace('-', '_')), all);
        candidates = new ArrayList<>(all);
        if (oneEjected) {
            candidates.remove(1);
        }
        candidates = List.copyOf(candidates);
        for (int i = 0; i < clients.length; i++) {
            clients[i] = "192.168." + random.nextInt(256) + "." + random.nextInt(256);
        }
    }

    @Benchmark
    public Upstream pick() {
        String client = clients[next++ & (clients.length - 1)];
        return policy.pick(candidates, client);
    }
}
