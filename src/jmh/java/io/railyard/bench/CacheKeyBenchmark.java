package io.railyard.bench;

import io.railyard.cache.CacheKey;
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

import java.util.concurrent.TimeUnit;

/** Building the cache key (network, method, canonical params) for typical cacheable requests. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CacheKeyBenchmark {

    /** blockByNumber: {@code ["0x1312d00",false]}; logs: an eth_getLogs filter object whose keys need sorting. */
    @Param({"blockByNumber", "logs"})
    public String request;

    private String method;
    private byte[] params;

    @Setup
    public void setup() {
        switch (request) {
            case "blockByNumber" -> {
                method = "eth_getBlockByNumber";
                params = Samples.bytes("[\"" + Samples.FINAL_BLOCK + "\", false]");
            }
            case "logs" -> {
                method = "eth_getLogs";
                params = Samples.bytes("[{\"toBlock\":\"0x1312d00\",\"topics\":[\"0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef\","
                        + "null,\"0x000000000000000000000000a9d1e08c7793af67e9d92fe308d5697fb81d3e43\"],"
                        + "\"fromBlock\":\"0x1312c00\",\"address\":\"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\"}]");
            }
            default -> throw new IllegalArgumentException(request);
        }
        if (CacheKey.of("mainnet", method, params) == null) {
            throw new IllegalStateException("no key for " + request);
        }
    }

    @Benchmark
    public CacheKey of() {
        return CacheKey.of("mainnet", method, params);
    }
}
