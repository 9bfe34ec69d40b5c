package io.railyard.evm;

import static io.railyard.evm.CacheRulesTest.Expect.LOOKUP_ONLY;
import static io.railyard.evm.CacheRulesTest.Expect.NEVER;
import static io.railyard.evm.CacheRulesTest.Expect.STORED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.railyard.jsonrpc.RpcAnswer;
import io.railyard.jsonrpc.RpcRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

class CacheRulesTest {

    /** What the rules must say about a row. */
    enum Expect {
        /** mayCache and shouldStore. */
        STORED,
        /** mayCache (lookup, coalescing), but this particular answer is not stored. */
        LOOKUP_ONLY,
        /** Neither: not even looked up. */
        NEVER
    }

    record Row(String name, String method, String params, RpcAnswer answer, long finalized, Expect expect) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final long FIN = 100; // 0x64
    static final long UNKNOWN = -1;
    static final String H = "0x88e96d4537bea4d9c05d12549907b32561d3bf31f45aae734cdc119f13406cb6";
    static final String TX = "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788";
    static final String A = "0x3535353535353535353535353535353535353535";
    static final String CALL = "{\"to\":\"" + A + "\",\"data\":\"0x70a08231\"}";

    static final RpcAnswer NULL = ok("null");
    static final RpcAnswer EMPTY_LIST = ok("[]");
    static final RpcAnswer EMPTY_OBJECT = ok("{ }");
    static final RpcAnswer BLOCK = ok("{\"number\":\"0x10\",\"hash\":\"" + H + "\",\"transactions\":[]}");
    static final RpcAnswer QTY = ok("\"0x1\"");
    static final RpcAnswer LOGS = ok("[{\"address\":\"" + A + "\",\"blockNumber\":\"0x10\",\"data\":\"0x\"}]");
    static final RpcAnswer NOT_FOUND = err(-32000, "header not found");

    static RpcAnswer ok(String json) {
        return RpcAnswer.result(json.getBytes(StandardCharsets.UTF_8));
    }

    static RpcAnswer err(int code, String message) {
        String json = "{\"code\":" + code + ",\"message\":\"" + message + "\"}";
        return RpcAnswer.upstreamError(json.getBytes(StandardCharsets.UTF_8), code, message);
    }

    /** A transaction or receipt mined in {@code blockNumber} (raw JSON value: a quoted quantity or null). */
    static RpcAnswer mined(String blockNumber) {
        return ok(minedJson(blockNumber));
    }

    static String minedJson(String blockNumber) {
        return ("{\"hash\":\"" + TX + "\",\"blockHash\":" + (blockNumber.equals("null") ? "null" : "\"" + H + "\"")
                + ",\"logs\":[{\"blockNumber\":\"0x1\"}],\"blockNumber\":" + blockNumber + ",\"status\":\"0x1\"}");
    }

    static Row row(String name, String method, String params, RpcAnswer answer, long finalized, Expect expect) {
        return new Row(name, method, params, answer, finalized, expect);
    }

    static Row row(String name, String method, String params, RpcAnswer answer, Expect expect) {
        return row(name, method, params, answer, FIN, expect);
    }

    static String logs(String filter) {
        return "[" + filter + "]";
    }

    static Stream<Row> rows() {
        return Stream.of(
                // chain constants
                row("chainId", "eth_chainId", null, QTY, STORED),
                row("chainId with finality unknown", "eth_chainId", "[]", QTY, UNKNOWN, STORED),
                row("net_version", "net_version", "[]", ok("\"1\""), STORED),
                row("chainId error", "eth_chainId", "[]", err(-32603, "internal error"), LOOKUP_ONLY),
                row("net_version null", "net_version", "[]", NULL, LOOKUP_ONLY),

                // by block hash
                row("blockByHash", "eth_getBlockByHash", "[\"" + H + "\",false]", BLOCK, STORED),
                row("blockByHash, finality unknown", "eth_getBlockByHash", "[\"" + H + "\",true]", BLOCK, UNKNOWN, STORED),
                row("blockByHash upper-case hex", "eth_getBlockByHash", "[\"" + H.toUpperCase().replace("0X", "0x") + "\",false]", BLOCK, STORED),
                row("blockByHash null (node lacks block)", "eth_getBlockByHash", "[\"" + H + "\",false]", NULL, LOOKUP_ONLY),
                row("blockByHash empty object", "eth_getBlockByHash", "[\"" + H + "\",false]", EMPTY_OBJECT, LOOKUP_ONLY),
                row("blockByHash error", "eth_getBlockByHash", "[\"" + H + "\",false]", NOT_FOUND, LOOKUP_ONLY),
                row("blockByHash short hash", "eth_getBlockByHash", "[\"0x1234\",false]", BLOCK, NEVER),
                row("blockByHash given a number", "eth_getBlockByHash", "[\"0x10\",false]", BLOCK, NEVER),
                row("blockByHash params object", "eth_getBlockByHash", "{\"hash\":\"" + H + "\"}", BLOCK, NEVER),
                row("blockByHash no params", "eth_getBlockByHash", null, BLOCK, NEVER),
                row("blockTxCountByHash", "eth_getBlockTransactionCountByHash", "[\"" + H + "\"]", QTY, STORED),
                row("txByBlockHashAndIndex", "eth_getTransactionByBlockHashAndIndex", "[\"" + H + "\",\"0x0\"]", mined("\"0x10\""), STORED),
                row("txByBlockHashAndIndex out of range", "eth_getTransactionByBlockHashAndIndex", "[\"" + H + "\",\"0x99\"]", NULL, LOOKUP_ONLY),
                row("uncleByBlockHashAndIndex", "eth_getUncleByBlockHashAndIndex", "[\"" + H + "\",\"0x0\"]", BLOCK, STORED),
                row("uncleCountByBlockHash", "eth_getUncleCountByBlockHash", "[\"" + H + "\"]", ok("\"0x0\""), STORED),
                row("blockReceipts by bare hash", "eth_getBlockReceipts", "[\"" + H + "\"]", ok("[" + minedJson("\"0x10\"") + "]"), STORED),
                row("blockReceipts by hash, empty", "eth_getBlockReceipts", "[\"" + H + "\"]", EMPTY_LIST, LOOKUP_ONLY),
                row("blockReceipts by EIP-1898 hash", "eth_getBlockReceipts", "[{\"blockHash\":\"" + H + "\"}]", LOGS, STORED),

                // by block number
                row("blockByNumber final", "eth_getBlockByNumber", "[\"0x10\",false]", BLOCK, STORED),
                row("blockByNumber exactly finalized", "eth_getBlockByNumber", "[\"0x64\",false]", BLOCK, STORED),
                row("blockByNumber one above finalized", "eth_getBlockByNumber", "[\"0x65\",false]", BLOCK, NEVER),
                row("blockByNumber, finality unknown", "eth_getBlockByNumber", "[\"0x10\",false]", BLOCK, UNKNOWN, NEVER),
                row("blockByNumber leading zeros", "eth_getBlockByNumber", "[\"0x0001\",false]", BLOCK, STORED),
                row("blockByNumber genesis 0x0", "eth_getBlockByNumber", "[\"0x0\",false]", BLOCK, STORED),
                row("blockByNumber upper-case hex digits", "eth_getBlockByNumber", "[\"0x1F\",false]", BLOCK, STORED),
                row("blockByNumber 0X prefix", "eth_getBlockByNumber", "[\"0X10\",false]", BLOCK, NEVER),
                row("blockByNumber bare 0x", "eth_getBlockByNumber", "[\"0x\",false]", BLOCK, NEVER),
                row("blockByNumber beyond 2^63", "eth_getBlockByNumber", "[\"0x8000000000000000\",false]", BLOCK, NEVER),
                row("blockByNumber JSON number", "eth_getBlockByNumber", "[16,false]", BLOCK, NEVER),
                row("blockByNumber decimal string", "eth_getBlockByNumber", "[\"16\",false]", BLOCK, NEVER),
                row("blockByNumber earliest", "eth_getBlockByNumber", "[\"earliest\",false]", BLOCK, STORED),
                row("blockByNumber earliest, finality unknown", "eth_getBlockByNumber", "[\"earliest\",false]", BLOCK, UNKNOWN, NEVER),
                row("blockByNumber latest", "eth_getBlockByNumber", "[\"latest\",false]", BLOCK, NEVER),
                row("blockByNumber pending", "eth_getBlockByNumber", "[\"pending\",false]", BLOCK, NEVER),
                row("blockByNumber safe", "eth_getBlockByNumber", "[\"safe\",false]", BLOCK, NEVER),
                row("blockByNumber finalized", "eth_getBlockByNumber", "[\"finalized\",false]", BLOCK, NEVER),
                row("blockByNumber misspelt tag", "eth_getBlockByNumber", "[\"Latest\",false]", BLOCK, NEVER),
                row("blockByNumber no params", "eth_getBlockByNumber", "[]", BLOCK, NEVER),
                row("blockByNumber final but null", "eth_getBlockByNumber", "[\"0x10\",false]", NULL, LOOKUP_ONLY),
                row("blockByNumber final but error", "eth_getBlockByNumber", "[\"0x10\",false]", NOT_FOUND, LOOKUP_ONLY),
                row("blockTxCountByNumber", "eth_getBlockTransactionCountByNumber", "[\"0x10\"]", ok("\"0x0\""), STORED),
                row("txByBlockNumberAndIndex", "eth_getTransactionByBlockNumberAndIndex", "[\"0x10\",\"0x0\"]", mined("\"0x10\""), STORED),
                row("uncleByBlockNumberAndIndex null", "eth_getUncleByBlockNumberAndIndex", "[\"0x10\",\"0x0\"]", NULL, LOOKUP_ONLY),
                row("uncleCountByBlockNumber latest", "eth_getUncleCountByBlockNumber", "[\"latest\"]", ok("\"0x0\""), NEVER),
                row("blockReceipts final, empty block", "eth_getBlockReceipts", "[\"0x10\"]", EMPTY_LIST, STORED),
                row("blockReceipts not final", "eth_getBlockReceipts", "[\"0x65\"]", EMPTY_LIST, NEVER),
                row("getBalance final", "eth_getBalance", "[\"" + A + "\",\"0x10\"]", QTY, STORED),
                row("getBalance latest", "eth_getBalance", "[\"" + A + "\",\"latest\"]", QTY, NEVER),
                row("getBalance block missing (latest)", "eth_getBalance", "[\"" + A + "\"]", QTY, NEVER),
                row("getBalance block null (latest)", "eth_getBalance", "[\"" + A + "\",null]", QTY, NEVER),
                row("getBalance EIP-1898 blockHash", "eth_getBalance", "[\"" + A + "\",{\"blockHash\":\"" + H + "\"}]", QTY, UNKNOWN, STORED),
                row("getBalance EIP-1898 requireCanonical false", "eth_getBalance",
                        "[\"" + A + "\",{\"blockHash\":\"" + H + "\",\"requireCanonical\":false}]", QTY, STORED),
                row("getBalance EIP-1898 requireCanonical true", "eth_getBalance",
                        "[\"" + A + "\",{\"blockHash\":\"" + H + "\",\"requireCanonical\":true}]", QTY, NEVER),
                row("getBalance EIP-1898 blockNumber final", "eth_getBalance", "[\"" + A + "\",{\"blockNumber\":\"0x10\"}]", QTY, STORED),
                row("getBalance EIP-1898 blockNumber not final", "eth_getBalance", "[\"" + A + "\",{\"blockNumber\":\"0x65\"}]", QTY, NEVER),
                row("getBalance EIP-1898 blockNumber latest", "eth_getBalance", "[\"" + A + "\",{\"blockNumber\":\"latest\"}]", QTY, NEVER),
                row("getBalance EIP-1898 hash and number", "eth_getBalance",
                        "[\"" + A + "\",{\"blockHash\":\"" + H + "\",\"blockNumber\":\"0x10\"}]", QTY, NEVER),
                row("getBalance EIP-1898 short hash", "eth_getBalance", "[\"" + A + "\",{\"blockHash\":\"0x12\"}]", QTY, NEVER),
                row("getBalance bare block hash", "eth_getBalance", "[\"" + A + "\",\"" + H + "\"]", QTY, STORED),
                row("getBalance params object", "eth_getBalance", "{\"address\":\"" + A + "\",\"block\":\"0x10\"}", QTY, NEVER),
                row("getCode final, no code", "eth_getCode", "[\"" + A + "\",\"0x10\"]", ok("\"0x\""), STORED),
                row("getCode by EIP-1898 hash", "eth_getCode", "[\"" + A + "\",{\"blockHash\":\"" + H + "\"}]", ok("\"0x6080\""), STORED),
                row("getStorageAt final", "eth_getStorageAt", "[\"" + A + "\",\"0x0\",\"0x10\"]", ok("\"0x00\""), STORED),
                row("getStorageAt pending", "eth_getStorageAt", "[\"" + A + "\",\"0x0\",\"pending\"]", ok("\"0x00\""), NEVER),
                row("getTransactionCount final", "eth_getTransactionCount", "[\"" + A + "\",\"0x64\"]", QTY, STORED),
                row("getTransactionCount pending", "eth_getTransactionCount", "[\"" + A + "\",\"pending\"]", QTY, NEVER),
                row("call final", "eth_call", "[" + CALL + ",\"0x10\"]", ok("\"0x01\""), STORED),
                row("call block missing (latest)", "eth_call", "[" + CALL + "]", ok("\"0x01\""), NEVER),
                row("call latest", "eth_call", "[" + CALL + ",\"latest\"]", ok("\"0x01\""), NEVER),
                row("call final but reverted", "eth_call", "[" + CALL + ",\"0x10\"]", err(3, "execution reverted"), LOOKUP_ONLY),
                row("call canonical hash", "eth_call", "[" + CALL + ",{\"blockHash\":\"" + H + "\",\"requireCanonical\":true}]", ok("\"0x\""), NEVER),
                row("getProof final", "eth_getProof", "[\"" + A + "\",[],\"0x10\"]", ok("{\"balance\":\"0x0\"}"), STORED),
                row("getProof safe", "eth_getProof", "[\"" + A + "\",[],\"safe\"]", ok("{\"balance\":\"0x0\"}"), NEVER),

                // transactions and receipts by hash
                row("txByHash in final block", "eth_getTransactionByHash", "[\"" + TX + "\"]", mined("\"0x10\""), STORED),
                row("txByHash in finalized block", "eth_getTransactionByHash", "[\"" + TX + "\"]", mined("\"0x64\""), STORED),
                row("txByHash in non-final block", "eth_getTransactionByHash", "[\"" + TX + "\"]", mined("\"0x65\""), LOOKUP_ONLY),
                row("txByHash pending (blockNumber null)", "eth_getTransactionByHash", "[\"" + TX + "\"]", mined("null"), LOOKUP_ONLY),
                row("txByHash unknown tx (null)", "eth_getTransactionByHash", "[\"" + TX + "\"]", NULL, LOOKUP_ONLY),
                row("txByHash, finality unknown", "eth_getTransactionByHash", "[\"" + TX + "\"]", mined("\"0x10\""), UNKNOWN, LOOKUP_ONLY),
                row("receipt in final block", "eth_getTransactionReceipt", "[\"" + TX + "\"]", mined("\"0x10\""), STORED),
                row("receipt in non-final block", "eth_getTransactionReceipt", "[\"" + TX + "\"]", mined("\"0x100\""), LOOKUP_ONLY),
                row("receipt not yet mined (null)", "eth_getTransactionReceipt", "[\"" + TX + "\"]", NULL, LOOKUP_ONLY),
                row("receipt empty object", "eth_getTransactionReceipt", "[\"" + TX + "\"]", EMPTY_OBJECT, LOOKUP_ONLY),
                row("receipt without blockNumber", "eth_getTransactionReceipt", "[\"" + TX + "\"]", ok("{\"status\":\"0x1\"}"), LOOKUP_ONLY),
                row("receipt result not an object", "eth_getTransactionReceipt", "[\"" + TX + "\"]", ok("\"0x10\""), LOOKUP_ONLY),
                row("receipt error", "eth_getTransactionReceipt", "[\"" + TX + "\"]", err(-32000, "transaction indexing is in progress"), LOOKUP_ONLY),
                row("receipt short hash", "eth_getTransactionReceipt", "[\"0xabc\"]", mined("\"0x10\""), NEVER),

                // logs
                row("logs range below finalized", "eth_getLogs", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"0x20\"}"), LOGS, STORED),
                row("logs final range, empty", "eth_getLogs", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"0x20\",\"address\":\"" + A + "\"}"), EMPTY_LIST, STORED),
                row("logs range ending at finalized", "eth_getLogs", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"0x64\"}"), LOGS, STORED),
                row("logs range straddling finalized", "eth_getLogs", logs("{\"fromBlock\":\"0x60\",\"toBlock\":\"0x70\"}"), LOGS, NEVER),
                row("logs range above finalized", "eth_getLogs", logs("{\"fromBlock\":\"0x65\",\"toBlock\":\"0x70\"}"), LOGS, NEVER),
                row("logs from earliest", "eth_getLogs", logs("{\"fromBlock\":\"earliest\",\"toBlock\":\"0x10\"}"), LOGS, STORED),
                row("logs leading zeros", "eth_getLogs", logs("{\"fromBlock\":\"0x0010\",\"toBlock\":\"0x0020\"}"), LOGS, STORED),
                row("logs to latest", "eth_getLogs", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"latest\"}"), LOGS, NEVER),
                row("logs to finalized tag", "eth_getLogs", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"finalized\"}"), LOGS, NEVER),
                row("logs toBlock missing", "eth_getLogs", logs("{\"fromBlock\":\"0x10\"}"), LOGS, NEVER),
                row("logs no range", "eth_getLogs", logs("{\"address\":\"" + A + "\"}"), LOGS, NEVER),
                row("logs from after to", "eth_getLogs", logs("{\"fromBlock\":\"0x20\",\"toBlock\":\"0x10\"}"), EMPTY_LIST, NEVER),
                row("logs final range, finality unknown", "eth_getLogs", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"0x20\"}"), LOGS, UNKNOWN, NEVER),
                row("logs final range, error", "eth_getLogs", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"0x20\"}"),
                        err(-32005, "query returned more than 10000 results"), LOOKUP_ONLY),
                row("logs by blockHash", "eth_getLogs", logs("{\"blockHash\":\"" + H + "\"}"), LOGS, UNKNOWN, STORED),
                row("logs by blockHash, empty", "eth_getLogs", logs("{\"blockHash\":\"" + H + "\"}"), EMPTY_LIST, LOOKUP_ONLY),
                row("logs blockHash with fromBlock", "eth_getLogs", logs("{\"blockHash\":\"" + H + "\",\"fromBlock\":\"0x10\"}"), LOGS, NEVER),
                row("logs filter not an object", "eth_getLogs", "[\"0x10\"]", LOGS, NEVER),

                // never cached
                row("blockNumber", "eth_blockNumber", "[]", QTY, NEVER),
                row("gasPrice", "eth_gasPrice", "[]", QTY, NEVER),
                row("maxPriorityFeePerGas", "eth_maxPriorityFeePerGas", "[]", QTY, NEVER),
                row("blobBaseFee", "eth_blobBaseFee", "[]", QTY, NEVER),
                row("feeHistory at final block", "eth_feeHistory", "[\"0x4\",\"0x10\",[]]", ok("{\"oldestBlock\":\"0xd\"}"), NEVER),
                row("estimateGas at final block", "eth_estimateGas", "[" + CALL + ",\"0x10\"]", ok("\"0x5208\""), NEVER),
                row("sendRawTransaction", "eth_sendRawTransaction", "[\"0xf86c\"]", ok("\"" + TX + "\""), NEVER),
                row("sendTransaction", "eth_sendTransaction", "[" + CALL + "]", ok("\"" + TX + "\""), NEVER),
                row("newFilter with final range", "eth_newFilter", logs("{\"fromBlock\":\"0x10\",\"toBlock\":\"0x20\"}"), QTY, NEVER),
                row("getFilterChanges", "eth_getFilterChanges", "[\"0x1\"]", EMPTY_LIST, NEVER),
                row("getFilterLogs", "eth_getFilterLogs", "[\"0x1\"]", LOGS, NEVER),
                row("uninstallFilter", "eth_uninstallFilter", "[\"0x1\"]", ok("true"), NEVER),
                row("subscribe", "eth_subscribe", "[\"newHeads\"]", QTY, NEVER),
                row("syncing", "eth_syncing", "[]", ok("false"), NEVER),
                row("clientVersion", "web3_clientVersion", "[]", ok("\"Geth/v1.14\""), NEVER),
                row("rawTransactionByHash", "eth_getRawTransactionByHash", "[\"" + TX + "\"]", ok("\"0xf86c\""), NEVER),
                row("unknown method naming a final block", "trace_block", "[\"0x10\"]", LOGS, NEVER),
                row("unknown method", "foo_bar", "[]", QTY, NEVER));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void decides(Row row) {
        RpcRequest req = new RpcRequest("1".getBytes(StandardCharsets.UTF_8), row.method(),
                row.params() == null ? null : row.params().getBytes(StandardCharsets.UTF_8));
        assertEquals(row.expect() != NEVER, CacheRules.mayCache(req, row.finalized()), "mayCache");
        assertEquals(row.expect() == STORED, CacheRules.shouldStore(req, row.answer(), row.finalized()), "shouldStore");
    }

    @Test
    void tableIsLargeAndCoversEveryOutcome() {
        assertEquals(3, rows().map(Row::expect).distinct().count());
        assertFalse(rows().count() < 70);
    }
}
