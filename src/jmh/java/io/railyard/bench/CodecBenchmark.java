package io.railyard.bench;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcBody;
import io.railyard.jsonrpc.RpcCodec;
import io.vertx.core.buffer.Buffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The JSON-RPC codec on the request path: decoding a client body (one request, a 50-item batch), encoding the
 * upstream request, decoding the upstream's reply (a 13 KB block, a quantity) and writing the client's answer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {

    private static final long UPSTREAM_ID = 123_456L;

    private RpcCodec codec;
    private byte[] single;
    private byte[] batch50;
    private byte[] blockReply;
    private byte[] quantityReply;
    private byte[] params;
    private RpcAnswer blockAnswer;
    private byte[] clientId;

    @Setup
    public void setup() {
        codec = new RpcCodec(RpcCodec.Limits.DEFAULT);
        single = Samples.bytes(Samples.singleRequest(1));
        batch50 = Samples.bytes(Samples.batch50());
        blockReply = Samples.bytes(Samples.reply(UPSTREAM_ID, Samples.block()));
        quantityReply = Samples.bytes(Samples.reply(UPSTREAM_ID, "\"0x1312d40\""));
        params = Samples.bytes("[\"" + Samples.FINAL_BLOCK + "\",false]");
        blockAnswer = codec.decodeUpstreamReply(blockReply, UPSTREAM_ID);
        clientId = Samples.bytes("1");
        if (!(codec.decode(single) instanceof RpcBody.Single) || !(codec.decode(batch50) instanceof RpcBody.Batch b) || b.items().size() != 50) {
            throw new IllegalStateException("sample bodies do not decode as expected");
        }
    }

    @Benchmark
    public RpcBody decodeSingle() {
        return codec.decode(single);
    }

    @Benchmark
    public RpcBody decodeBatch50() {
        return codec.decode(batch50);
    }

    @Benchmark
    public Buffer encodeUpstreamRequest() {
        return RpcCodec.encodeUpstreamRequest(UPSTREAM_ID, "eth_getBlockByNumber", params);
    }

    @Benchmark
    public RpcAnswer decodeUpstreamReplyBlock() {
        return codec.decodeUpstreamReply(blockReply, UPSTREAM_ID);
    }

    @Benchmark
    public RpcAnswer decodeUpstreamReplyQuantity() {
        return codec.decodeUpstreamReply(quantityReply, UPSTREAM_ID);
    }

    /** The client's answer for a block (what a cache hit writes). */
    @Benchmark
    public Buffer answerBlockToBuffer() {
        return blockAnswer.toBuffer(clientId);
    }
}
