package io.railyard.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Request and answer bodies shaped like mainnet traffic, built deterministically (fixed seed), so every run
 * measures the same bytes. The block has the shape of {@code eth_getBlockByNumber(N, false)} on mainnet after
 * Cancun: header fields, 140 transaction hashes and 16 withdrawals (about 13 KB, like bench/static-block.json).
 */
final class Samples {

    static final String FINAL_BLOCK = "0x1312d00";

    private Samples() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A client's single request for a block by number. */
    static String singleRequest(int id) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"eth_getBlockByNumber\",\"params\":[\"" + FINAL_BLOCK + "\",false]}";
    }

    /** A 50-item batch: odd ids read a final block, even ids ask eth_blockNumber (as bench/run.sh sends). */
    static String batch50() {
        List<String> items = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            items.add(i % 2 == 1 ? singleRequest(i) : "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"eth_blockNumber\",\"params\":[]}");
        }
        return "[" + String.join(",", items) + "]";
    }

    /** An upstream's reply (to the gateway's numeric id) carrying {@code result}. */
    static String reply(long id, String result) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}";
    }

    static String block() {
        SplittableRandom random = new SplittableRandom(20_000_000L);
        StringBuilder b = new StringBuilder(14_000);
        b.append("{\"baseFeePerGas\":\"0x1a4b3c8f2\",\"blobGasUsed\":\"0x60000\",\"difficulty\":\"0x0\",\"excessBlobGas\":\"0x0\",")
                .append("\"extraData\":\"0x6265617665726275696c642e6f7267\",\"gasLimit\":\"0x1c9c380\",\"gasUsed\":\"0xa9f2ec\",")
                .append("\"hash\":\"").append(hex(random, 32)).append("\",")
                .append("\"logsBloom\":\"").append(hex(random, 256)).append("\",")
                .append("\"miner\":\"").append(hex(random, 20)).append("\",")
                .append("\"mixHash\":\"").append(hex(random, 32)).append("\",")
                .append("\"nonce\":\"0x0000000000000000\",\"number\":\"").append(FINAL_BLOCK).append("\",")
                .append("\"parentBeaconBlockRoot\":\"").append(hex(random, 32)).append("\",")
                .append("\"parentHash\":\"").append(hex(random, 32)).append("\",")
                .append("\"receiptsRoot\":\"").append(hex(random, 32)).append("\",")
                .append("\"sha3Uncles\":\"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\",\"size\":\"0x10c7e\",")
                .append("\"stateRoot\":\"").append(hex(random, 32)).append("\",")
                .append("\"timestamp\":\"0x666c2a9f\",\"totalDifficulty\":\"0xc70d815d562d3cfa955\",\"transactions\":[");
        for (int i = 0; i < 140; i++) {
            b.append(i == 0 ? "\"" : ",\"").append(hex(random, 32)).append('"');
        }
        b.append("],\"transactionsRoot\":\"").append(hex(random, 32)).append("\",\"uncles\":[],\"withdrawals\":[");
        for (int i = 0; i < 16; i++) {
            b.append(i == 0 ? "" : ",")
                    .append("{\"address\":\"").append(hex(random, 20))
                    .append("\",\"amount\":\"0x").append(Long.toHexString(17_000_000L + i * 1237L))
                    .append("\",\"index\":\"0x").append(Long.toHexString(45_000_000L + i))
                    .append("\",\"validatorIndex\":\"0x").append(Long.toHexString(1_000_000L + i * 31L)).append("\"}");
        }
        return b.append("],\"withdrawalsRoot\":\"").append(hex(random, 32)).append("\"}").toString();
    }

    private static String hex(SplittableRandom random, int bytes) {
        StringBuilder s = new StringBuilder(2 + 2 * bytes).append("0x");
        for (int i = 0; i < bytes; i++) {
            s.append(Character.forDigit(random.nextInt(16), 16)).append(Character.forDigit(random.nextInt(16), 16));
        }
        return s.toString();
    }
}
