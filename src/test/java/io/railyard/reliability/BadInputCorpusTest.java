package io.railyard.reliability;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.AnswerScrub;
import io.railyard.testing.Await;
import io.railyard.testing.LogCapture;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.FakeUpstream;
import io.railyard.upstream.UpstreamPools;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs every case of the bad-input corpus ({@code src/test/resources/bad-input/}, one file per case) against the live
 * gateway over raw sockets, while a second client keeps sending valid requests that must all succeed, promptly.
 *
 * <p>A case file starts with header lines ({@code # key: value}); the rest of the file is the body (one trailing
 * newline dropped). Keys:
 * <ul>
 *   <li>{@code expect: <status> <code>}: the HTTP status and the JSON-RPC error code of a single answer;
 *       {@code <code>} may be {@code result} (a result, no error), {@code none} (no body: 204) or
 *       {@code batch <n>} (an array of n answers, see {@code ids} and {@code codes})</li>
 *   <li>{@code id: <raw JSON>}: the id the answer must carry, byte for byte</li>
 *   <li>{@code answer: <exact body>}: the whole answer, byte for byte ({@code $ID} stands for a generated id)</li>
 *   <li>{@code message-contains: <text>} (repeatable): the error message must contain it (limits must be named)</li>
 *   <li>{@code ids: a,b,...} / {@code codes: c1,c2,...}: per batch entry, in order; {@code x*} means every entry</li>
 *   <li>{@code content-type: <value>|none} (default {@code application/json}), {@code header: <Name: value>}</li>
 *   <li>{@code path: /x} (default {@code /testnet}), {@code transfer: chunked}</li>
 *   <li>{@code escaped: true}: {@code \xNN} in the body stands for that byte</li>
 *   <li>{@code encode: <charset>}: the body text is sent in that charset instead of UTF-8</li>
 *   <li>{@code generate: <kind> <args>}: the body is generated (cases too big or too binary to commit)</li>
 *   <li>{@code max-ms: <n>} (default 3000): the whole answer must arrive within n ms of the first byte sent</li>
 *   <li>{@code answered-before-sent: true}: the answer must arrive before the client has sent the whole body
 *       (the gateway must not read, let alone buffer, what it is going to refuse)</li>
 * </ul>
 * Content-Type is ignored by the gateway: whatever it says, the body is parsed as JSON-RPC; the content-type cases
 * assert exactly that. No answer carries an internal ({@link AnswerScrub}), and every gateway-made error carries a
 * request id ({@code $REQUEST_ID} in an exact answer) that the access log line of the request also carries.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs =
        @io.quarkus.test.common.ResourceArg(name = "railyard.access-log.enabled", value = "true"))
class BadInputCorpusTest {

    /** The other client's requests may never take longer than this while the corpus runs. */
    private static final long OTHER_CLIENT_MAX_MS = 3000;

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    @TestHTTPResource("/")
    URL gateway;

    /** The access log, where each request's id is written. */
    private final LogCapture accessLog = LogCapture.of("railyard.access");

    /**
     * Codes only the gateway answers with here (the fakes answer -32601 and -32602 themselves): each must carry a
     * request id, while node errors pass through untouched.
     */
    private static final java.util.Set<Integer> OWN_CODES = java.util.Set.of(-32700, -32600, -32001, -32005, -32002, -32603);

    @org.junit.jupiter.api.AfterEach
    void closeLog() {
        accessLog.close();
    }

    @TestFactory
    Stream<DynamicTest> corpus() throws IOException, URISyntaxException {
        fakes.resetAll();
        Await.until("all upstreams healthy", () -> pools.pool(FakeNodesResource.NETWORK).upstreams().stream().allMatch(u -> u.isHealthy()));
        // A node's own answer to wrong params, passed through unchanged.
        fakes.nodes().forEach(n -> n.on("eth_getBalance", req -> {
            JsonArray params = req.getJsonArray("params");
            Object address = params == null || params.isEmpty() ? null : params.getValue(0);
            return address instanceof String s && s.length() == 42
                    ? new FakeUpstream.Result("\"0x0\"")
                    : new FakeUpstream.Error(-32602, "invalid argument 0: hex string has length 0, want 40 for common.Address");
        }));

        Path dir = Path.of(BadInputCorpusTest.class.getResource("/bad-input").toURI());
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".txt") || p.toString().endsWith(".json")).sorted().toList();
        }
        assertTrue(files.size() >= 100, "the corpus is there: " + files.size() + " cases");

        OtherClient other = new OtherClient(URI.create(gateway + "testnet"));
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("(another client starts sending valid requests)", other::start));
        for (Path file : files) {
            tests.add(DynamicTest.dynamicTest(file.getFileName().toString(), () -> run(Case.parse(file))));
        }
        tests.add(DynamicTest.dynamicTest("(" + LIVE_MUTATIONS + " fuzzed bodies: every answer is JSON-RPC)", this::fuzzLive));
        tests.add(DynamicTest.dynamicTest("(the other client was served throughout, promptly)", () -> {
            other.stop();
            assertTrue(other.ok.get() >= 50, "the other client kept sending: " + other.ok.get() + " answers");
            assertTrue(other.failures.isEmpty(), other.failures.size() + " of the other client's requests failed, e.g. "
                    + other.failures.peek());
            assertTrue(other.maxMillis.get() <= OTHER_CLIENT_MAX_MS, "the other client waited up to " + other.maxMillis.get()
                    + " ms for an answer");
            System.out.printf("bad-input corpus: %d cases; meanwhile the other client got %d correct answers, slowest %d ms%n",
                    files.size(), other.ok.get(), other.maxMillis.get());
        }));
        tests.add(DynamicTest.dynamicTest("(the gateway still answers normally)", () -> {
            RawHttp.Response r = RawHttp.post(gateway.getPort(), "/testnet", "application/json",
                    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_blockNumber\"}]"
                            .getBytes(StandardCharsets.UTF_8), 5000);
            assertEquals(200, r.status());
            assertEquals("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":\"0x64\"}]", r.text());
            // Nothing a client sent reaches or harms the nodes (a probe may time out on a busy machine: wait).
            Await.until("every upstream healthy", () -> pools.pool(FakeNodesResource.NETWORK).upstreams().stream().allMatch(u -> u.isHealthy()));
        }));
        return tests.stream();
    }

    private static final int LIVE_MUTATIONS = 300;

    /** Mutated requests (fixed seed, see {@link CodecFuzzTest}) against the live gateway: every answer is JSON-RPC or 204. */
    private void fuzzLive() throws IOException {
        java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
        List<byte[]> bodies = CodecFuzzTest.mutations(4242, LIVE_MUTATIONS);
        for (int i = 0; i < bodies.size(); i++) {
            byte[] body = bodies.get(i);
            String where = "fuzzed body " + i + " " + CodecFuzzTest.show(body);
            RawHttp.Response r = RawHttp.post(gateway.getPort(), "/testnet", "application/json", body, 10_000);
            statuses.merge(r.status(), 1, Integer::sum);
            if (r.status() == 204) {
                assertEquals(0, r.body().length, where);
                continue;
            }
            Object parsed;
            try {
                parsed = Json.decodeValue(r.text());
            } catch (DecodeException e) {
                throw new AssertionError(where + ": the answer is not JSON: " + abbreviate(r.text()));
            }
            if (parsed instanceof JsonArray array) {
                assertEquals(200, r.status(), where);
                assertFalse(array.isEmpty(), where);
                for (int k = 0; k < array.size(); k++) {
                    assertTrue(array.getValue(k) instanceof JsonObject, where);
                    checkShape(where + " entry " + k, array.getJsonObject(k));
                }
            } else {
                assertTrue(parsed instanceof JsonObject, where + ": " + abbreviate(r.text()));
                JsonObject a = (JsonObject) parsed;
                checkShape(where, a);
                int code = a.containsKey("error") ? a.getJsonObject("error").getInteger("code") : 0;
                switch (r.status()) {
                    case 200 -> { }
                    case 413 -> assertEquals(-32600, code, where);
                    case 503 -> assertEquals(-32002, code, where);
                    default -> fail(where + ": HTTP " + r.status() + " " + abbreviate(r.text()));
                }
            }
        }
        System.out.println("live fuzz: " + LIVE_MUTATIONS + " bodies, statuses " + statuses);
    }

    // ---------------------------------------------------------------- one case

    private void run(Case c) throws Exception {
        int port = gateway.getPort();
        RawHttp.Body body = c.body();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) Math.max(10_000, c.maxMs * 3));
            OutputStream out = socket.getOutputStream();
            AtomicLong written = new AtomicLong();
            AtomicBoolean sentAll = new AtomicBoolean();
            byte[] head = RawHttp.head(c.path, c.contentType, c.headers, body.length(), c.chunked, true);
            Thread writer = new Thread(() -> {
                try {
                    out.write(head);
                    if (c.chunked) {
                        RawHttp.ChunkedOutput chunks = new RawHttp.ChunkedOutput(out);
                        body.writeTo(chunks, written);
                        chunks.finish();
                    } else {
                        body.writeTo(out, written);
                        out.flush();
                    }
                    sentAll.set(true);
                } catch (IOException e) {
                    // The gateway answered and closed before the whole body was sent: fine for refused bodies.
                }
            }, "bad-input-writer");
            long started = System.nanoTime();
            writer.start();
            RawHttp.Response r = RawHttp.read(socket.getInputStream());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            boolean sentAllWhenAnswered = sentAll.get();
            long writtenWhenAnswered = written.get();
            socket.close();
            writer.join(10_000);
            assertFalse(writer.isAlive(), "the writer is stuck");

            System.out.printf("[bad-input] %-55s HTTP %d in %4d ms (%d of %d body bytes sent when answered)%n", c.name, r.status(),
                    millis, writtenWhenAnswered, body.length());
            String where = c.name + ": HTTP " + r.status() + " " + abbreviate(r.text());
            assertEquals(c.status, r.status(), where);
            assertTrue(millis <= c.maxMs, c.name + ": answered in " + millis + " ms (at most " + c.maxMs + ")");
            if (c.answeredBeforeSent) {
                assertFalse(sentAllWhenAnswered, c.name + ": the answer came only after the whole body ("
                        + body.length() + " bytes) was sent");
                assertTrue(writtenWhenAnswered < body.length(), where);
            }
            if (c.code.equals("none")) {
                assertEquals(0, r.body().length, where);
                return;
            }
            assertTrue(r.header("content-type") != null && r.header("content-type").startsWith("application/json"), where);
            String text = r.text();
            List<Integer> upstreamPorts = fakes.nodes().stream().map(FakeUpstream::port).toList();
            AnswerScrub.assertNoInternals(c.name, text, upstreamPorts);
            AnswerScrub.assertRequestIdsLogged(c.name, text, accessLog.messages());
            if (c.answer != null) {
                List<String> requestIds = AnswerScrub.requestIds(text);
                assertEquals(c.answer.replace("$ID", c.generatedId == null ? "" : c.generatedId)
                        .replace("$REQUEST_ID", requestIds.isEmpty() ? "" : requestIds.get(0)), text, c.name);
            }
            Object parsed;
            try {
                parsed = Json.decodeValue(text);
            } catch (DecodeException e) {
                throw new AssertionError(c.name + ": the answer is not JSON: " + abbreviate(text), e);
            }
            if (c.code.startsWith("batch")) {
                assertTrue(parsed instanceof JsonArray, where);
                JsonArray answers = (JsonArray) parsed;
                assertEquals(c.batchSize, answers.size(), where);
                for (int i = 0; i < answers.size(); i++) {
                    assertTrue(answers.getValue(i) instanceof JsonObject, where);
                    JsonObject a = answers.getJsonObject(i);
                    checkShape(c.name + " entry " + i, a);
                    if (c.codes != null) {
                        checkCode(c.name + " entry " + i, a, c.codes.get(Math.min(i, c.codes.size() - 1)));
                    }
                    if (c.ids != null) {
                        assertEquals(Json.decodeValue(c.ids.get(Math.min(i, c.ids.size() - 1))), a.getValue("id"),
                                c.name + " entry " + i + ": id, in request order");
                    }
                }
                return;
            }
            assertTrue(parsed instanceof JsonObject, where);
            JsonObject a = (JsonObject) parsed;
            checkShape(c.name, a);
            checkCode(c.name, a, c.code);
            if (c.id != null) {
                assertTrue(text.startsWith("{\"jsonrpc\":\"2.0\",\"id\":" + c.id + ","), c.name + ": id must be " + c.id
                        + " exactly: " + abbreviate(text));
            }
            if (!c.messageContains.isEmpty()) {
                String message = a.getJsonObject("error").getString("message");
                for (String part : c.messageContains) {
                    assertTrue(message.contains(part), c.name + ": the message must name '" + part + "': " + message);
                }
            }
        }
    }

    /** Every answer is a JSON-RPC 2.0 response: jsonrpc, id, and exactly one of result and error{code, message}. */
    static void checkShape(String where, JsonObject a) {
        assertEquals("2.0", a.getValue("jsonrpc"), where);
        assertTrue(a.containsKey("id"), where + ": has an id");
        assertTrue(a.containsKey("result") ^ a.containsKey("error"), where + ": result or error: " + a.encode());
        if (a.containsKey("error")) {
            assertTrue(a.getValue("error") instanceof JsonObject, where);
            JsonObject error = a.getJsonObject("error");
            assertTrue(error.getValue("code") instanceof Integer, where + ": integer code: " + error.encode());
            if (OWN_CODES.contains(error.getInteger("code"))) {
                assertTrue(error.getValue("data") instanceof JsonObject d && d.getValue("requestId") instanceof String,
                        where + ": the gateway's own error names its request: " + error.encode());
            }
            assertTrue(error.getValue("message") instanceof String, where + ": message: " + error.encode());
            String message = error.getString("message");
            // A clear answer: a message for people, not a Java exception's.
            for (String internal : List.of("out of bounds", "Exception", "java.", "NullPointer", "arraycopy")) {
                assertFalse(message.contains(internal), where + ": the message leaks an internal error: " + message);
            }
        }
    }

    private static void checkCode(String where, JsonObject a, String code) {
        if (code.equals("result")) {
            assertTrue(a.containsKey("result"), where + ": expected a result: " + a.encode());
        } else {
            assertTrue(a.containsKey("error"), where + ": expected error " + code + ": " + abbreviate(a.encode()));
            assertEquals(Integer.parseInt(code), a.getJsonObject("error").getInteger("code"), where + ": " + abbreviate(a.encode()));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "... (" + s.length() + " chars)" : s;
    }

    // ---------------------------------------------------------------- case files

    private static final class Case {
        String name;
        int status;
        String code;
        int batchSize;
        String id;
        String answer;
        final List<String> messageContains = new ArrayList<>();
        List<String> ids;
        List<String> codes;
        String contentType = "application/json";
        final List<String> headers = new ArrayList<>();
        String path = "/testnet";
        boolean chunked;
        boolean escaped;
        Charset encoding = StandardCharsets.UTF_8;
        String generate;
        long maxMs = 3000;
        boolean answeredBeforeSent;
        byte[] text;
        String generatedId;

        static Case parse(Path file) throws IOException {
            byte[] all = Files.readAllBytes(file);
            Case c = new Case();
            c.name = file.getFileName().toString();
            int at = 0;
            while (at < all.length && all[at] == '#') {
                int nl = indexOf(all, (byte) '\n', at);
                String line = new String(all, at + 1, (nl < 0 ? all.length : nl) - at - 1, StandardCharsets.UTF_8).trim();
                c.header(line);
                at = nl < 0 ? all.length : nl + 1;
            }
            int end = all.length;
            if (end > at && all[end - 1] == '\n') {
                end--;
            }
            c.text = java.util.Arrays.copyOfRange(all, at, end);
            if (c.code == null) {
                throw new IllegalStateException(c.name + ": no '# expect:' line");
            }
            return c;
        }

        private void header(String line) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IllegalStateException(name + ": bad header line '" + line + "'");
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "expect" -> {
                    String[] parts = value.split("\\s+");
                    status = Integer.parseInt(parts[0]);
                    code = parts[1];
                    if (code.equals("batch")) {
                        batchSize = Integer.parseInt(parts[2]);
                    }
                }
                case "id" -> id = value;
                case "answer" -> answer = value;
                case "message-contains" -> messageContains.add(value);
                case "ids" -> ids = star(value);
                case "codes" -> codes = star(value);
                case "content-type" -> contentType = value.equals("none") ? null : value;
                case "header" -> headers.add(value);
                case "path" -> path = value;
                case "transfer" -> chunked = value.equals("chunked");
                case "escaped" -> escaped = Boolean.parseBoolean(value);
                case "encode" -> encoding = Charset.forName(value);
                case "generate" -> generate = value;
                case "max-ms" -> maxMs = Long.parseLong(value);
                case "answered-before-sent" -> answeredBeforeSent = Boolean.parseBoolean(value);
                default -> throw new IllegalStateException(name + ": unknown header '" + key + "'");
            }
        }

        /** "a,b,c" as a list; "x*" as a list of one x, which applies to every entry. */
        private static List<String> star(String value) {
            if (value.endsWith("*")) {
                return List.of(value.substring(0, value.length() - 1));
            }
            return List.of(value.split(","));
        }

        RawHttp.Body body() {
            if (generate != null) {
                return generated();
            }
            byte[] bytes = text;
            if (escaped) {
                bytes = unescape(bytes);
            }
            if (encoding != StandardCharsets.UTF_8) {
                bytes = new String(bytes, StandardCharsets.UTF_8).getBytes(encoding);
            }
            return RawHttp.Body.of(bytes);
        }

        private RawHttp.Body generated() {
            String[] g = generate.split("\\s+");
            int n = Integer.parseInt(g[1]);
            return switch (g[0]) {
                case "nested-arrays" -> RawHttp.Body.of(ascii("[".repeat(n) + "]".repeat(n)));
                case "nested-objects" -> RawHttp.Body.of(ascii("{\"a\":".repeat(n) + "1" + "}".repeat(n)));
                case "nested-params" -> RawHttp.Body.of(ascii("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":"
                        + "[".repeat(n) + "]".repeat(n) + "}"));
                case "nested-field" -> RawHttp.Body.of(ascii("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"x\":"
                        + "[".repeat(n) + "]".repeat(n) + "}"));
                case "unclosed-arrays" -> RawHttp.Body.of(ascii("[".repeat(n)));
                case "large" -> large(n);
                case "padded" -> { // a valid request, padded with white space to exactly n bytes
                    String json = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]";
                    yield RawHttp.Body.of(ascii(json + " ".repeat(n - json.length() - 1) + "}"));
                }
                case "batch" -> {
                    StringBuilder sb = new StringBuilder(n * 52).append('[');
                    for (int i = 0; i < n; i++) {
                        sb.append(i == 0 ? "" : ",").append("{\"jsonrpc\":\"2.0\",\"id\":").append(i).append(",\"method\":\"eth_chainId\"}");
                    }
                    yield RawHttp.Body.of(ascii(sb.append(']').toString()));
                }
                case "method-length" -> RawHttp.Body.of(ascii("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + "m".repeat(n) + "\"}"));
                case "string-id" -> {
                    generatedId = "\"" + "x".repeat(n) + "\"";
                    yield RawHttp.Body.of(ascii("{\"jsonrpc\":\"2.0\",\"id\":" + generatedId + ",\"method\":\"eth_chainId\"}"));
                }
                case "number-id" -> {
                    generatedId = "1" + "234567890".repeat(n / 9 + 1).substring(0, n - 1);
                    yield RawHttp.Body.of(ascii("{\"jsonrpc\":\"2.0\",\"id\":" + generatedId + ",\"method\":\"eth_chainId\"}"));
                }
                case "random-bytes" -> {
                    byte[] bytes = new byte[n];
                    new Random(Long.parseLong(g[2])).nextBytes(bytes);
                    bytes[0] = (byte) 0xff;
                    yield RawHttp.Body.of(bytes);
                }
                default -> throw new IllegalStateException(name + ": unknown generator " + g[0]);
            };
        }

        /** A valid-looking eth_call whose one string param makes the body exactly {@code total} bytes, streamed. */
        private static RawHttp.Body large(long total) {
            byte[] prefix = ascii("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":[\"");
            byte[] suffix = ascii("\"]}");
            byte[] filler = new byte[65536];
            java.util.Arrays.fill(filler, (byte) 'a');
            return new RawHttp.Body() {
                @Override
                public long length() {
                    return total;
                }

                @Override
                public void writeTo(OutputStream out, AtomicLong written) throws IOException {
                    out.write(prefix);
                    written.addAndGet(prefix.length);
                    long left = total - prefix.length - suffix.length;
                    while (left > 0) {
                        int n = (int) Math.min(filler.length, left);
                        out.write(filler, 0, n);
                        written.addAndGet(n);
                        left -= n;
                    }
                    out.write(suffix);
                    written.addAndGet(suffix.length);
                }
            };
        }

        private static byte[] ascii(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }

        private static byte[] unescape(byte[] in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
            for (int i = 0; i < in.length; i++) {
                if (in[i] == '\\' && i + 3 < in.length && in[i + 1] == 'x') {
                    out.write(Integer.parseInt(new String(in, i + 2, 2, StandardCharsets.US_ASCII), 16));
                    i += 3;
                } else {
                    out.write(in[i]);
                }
            }
            return out.toByteArray();
        }

        private static int indexOf(byte[] a, byte b, int from) {
            for (int i = from; i < a.length; i++) {
                if (a[i] == b) {
                    return i;
                }
            }
            return -1;
        }
    }

    // ---------------------------------------------------------------- the other client

    /** Sends valid requests one after another on its own connections and checks every answer. */
    private static final class OtherClient {
        private final URI uri;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        final AtomicInteger ok = new AtomicInteger();
        final AtomicLong maxMillis = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private Thread thread;

        OtherClient(URI uri) {
            this.uri = uri;
        }

        void start() {
            thread = new Thread(this::loop, "other-client");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            int id = 0;
            while (running.get()) {
                id++;
                String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"eth_blockNumber\",\"params\":[]}";
                long started = System.nanoTime();
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                    maxMillis.accumulateAndGet(ms, Math::max);
                    String expected = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":\"0x64\"}";
                    if (r.statusCode() == 200 && expected.equals(r.body())) {
                        ok.incrementAndGet();
                    } else {
                        failures.add("request " + id + ": HTTP " + r.statusCode() + " " + r.body());
                    }
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    failures.add("request " + id + ": " + e);
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(15_000);
            assertFalse(thread.isAlive(), "the other client is stuck");
        }
    }
}
