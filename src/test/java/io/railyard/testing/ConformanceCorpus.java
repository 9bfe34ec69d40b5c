package io.railyard.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The conformance corpus on the test classpath ({@code conformance/execution-apis}, copied from the {@code tests/}
 * folder of ethereum/execution-apis): request/answer pairs recorded from geth on the execution-apis test chain.
 * A {@code .io} file holds {@code //} comment lines, {@code >> request} and {@code << response} lines; one file may
 * hold several pairs. Also the JSON helpers the replay and the tests share: the canonical form of params, and
 * rewriting the top-level {@code id} member of a JSON-RPC text without touching any other byte.
 */
public final class ConformanceCorpus {

    /** Where the corpus sits on the test classpath. */
    public static final String ROOT = "conformance/execution-apis";

    private static final JsonFactory FACTORY = new JsonFactory();
    private static volatile List<Case> loaded;

    private ConformanceCorpus() {
    }

    /**
     * One recorded pair.
     *
     * @param name     display name: the file's path without {@code .io}, plus {@code #n} for the n-th pair (n > 1)
     * @param file     the file's path under {@link #ROOT}, e.g. {@code eth_getBlockByNumber/get-genesis.io}
     * @param request  the recorded request text, exactly as recorded
     * @param response the recorded response text, exactly as recorded
     */
    public record Case(String name, String file, String request, String response) {

        public String method() {
            return new JsonObject(request).getString("method");
        }

        /** The raw text of the request's {@code params} member, or null when the request has none. */
        public String paramsText() {
            return memberText(request, "params");
        }

        /** The request's params (absent or null: an empty array), parsed. */
        public Object params() {
            Object p = new JsonObject(request).getValue("params");
            return p == null ? new JsonArray() : p;
        }

        /** What {@link ReplayUpstream} counts calls under: the method and the canonical params. */
        public String key() {
            return ConformanceCorpus.key(method(), params());
        }

        /** The raw text of the recorded id. */
        public String recordedId() {
            return memberText(request, "id");
        }

        public boolean isError() {
            return new JsonObject(response).containsKey("error");
        }

        /** The recorded result, parsed ({@code null} for errors and for a result of JSON null). */
        public Object result() {
            return new JsonObject(response).getValue("result");
        }

        /** The recorded request with only its id replaced by the given raw JSON id. */
        public String requestWithId(String idJson) {
            return withId(request, idJson);
        }

        /** The recorded response with only its id replaced by the given raw JSON id. */
        public String responseWithId(String idJson) {
            return withId(response, idJson);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Every case of the corpus, sorted by file then by position in the file. */
    public static List<Case> load() {
        List<Case> cases = loaded;
        if (cases == null) {
            synchronized (ConformanceCorpus.class) {
                if (loaded == null) {
                    loaded = Collections.unmodifiableList(read());
                }
                cases = loaded;
            }
        }
        return cases;
    }

    private static List<Case> read() {
        URL root = ConformanceCorpus.class.getClassLoader().getResource(ROOT);
        if (root == null) {
            throw new IllegalStateException(ROOT + " is not on the test classpath");
        }
        try {
            URI uri = root.toURI();
            if ("jar".equals(uri.getScheme())) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                return readTree(fs.getPath(ROOT));
            }
            return readTree(Path.of(uri));
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot read the corpus at " + root, e);
        }
    }

    private static List<Case> readTree(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> p.getFileName().toString().endsWith(".io") && Files.isRegularFile(p))
                    .sorted((a, b) -> relative(dir, a).compareTo(relative(dir, b)))
                    .toList();
        }
        List<Case> cases = new ArrayList<>();
        for (Path f : files) {
            cases.addAll(parse(relative(dir, f), Files.readString(f, StandardCharsets.UTF_8)));
        }
        if (cases.isEmpty()) {
            throw new IllegalStateException("no .io cases under " + dir);
        }
        return cases;
    }

    private static String relative(Path dir, Path file) {
        return dir.relativize(file).toString().replace('\\', '/');
    }

    /** Parses one {@code .io} file into its pairs. */
    public static List<Case> parse(String file, String text) {
        List<Case> pairs = new ArrayList<>();
        String base = file.endsWith(".io") ? file.substring(0, file.length() - 3) : file;
        String pending = null;
        int lineNo = 0;
        for (String line : text.split("\r?\n", -1)) {
            lineNo++;
            if (line.isBlank() || line.startsWith("//")) {
                continue;
            }
            if (line.startsWith(">>")) {
                if (pending != null) {
                    throw new IllegalStateException(file + ":" + lineNo + ": a request follows a request with no response");
                }
                pending = line.substring(2).strip();
            } else if (line.startsWith("<<")) {
                if (pending == null) {
                    throw new IllegalStateException(file + ":" + lineNo + ": a response with no request");
                }
                int n = pairs.size() + 1;
                pairs.add(new Case(n == 1 ? base : base + "#" + n, file, pending, line.substring(2).strip()));
                pending = null;
            } else {
                throw new IllegalStateException(file + ":" + lineNo + ": neither a comment, >> nor <<: " + line);
            }
        }
        if (pending != null) {
            throw new IllegalStateException(file + ": the last request has no response");
        }
        return pairs;
    }

    // ---------------------------------------------------------------- JSON helpers

    /** The counting and matching key of a call: method and canonical params (absent or null params: {@code []}). */
    public static String key(String method, Object params) {
        return method + " " + canonical(params == null ? new JsonArray() : params);
    }

    /**
     * One text per JSON value: object members sorted by name, no white space; scalars as Vert.x encodes them, so two
     * texts that parse to equal values get the same canonical form.
     */
    public static String canonical(Object value) {
        StringBuilder out = new StringBuilder();
        writeCanonical(value, out);
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static void writeCanonical(Object value, StringBuilder out) {
        if (value instanceof Map<?, ?> map) {
            value = new JsonObject((Map<String, Object>) map);
        } else if (value instanceof List<?> list) {
            value = new JsonArray((List<Object>) list);
        }
        if (value instanceof JsonObject object) {
            Map<String, Object> sorted = new TreeMap<>(object.getMap());
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                out.append(first ? "" : ",").append(Json.encode(e.getKey())).append(':');
                writeCanonical(e.getValue(), out);
                first = false;
            }
            out.append('}');
        } else if (value instanceof JsonArray array) {
            out.append('[');
            for (int i = 0; i < array.size(); i++) {
                out.append(i == 0 ? "" : ",");
                writeCanonical(array.getValue(i), out);
            }
            out.append(']');
        } else {
            out.append(Json.encode(value));
        }
    }

    /** The text with the value of its top-level {@code id} member replaced by {@code idJson}; every other byte kept. */
    public static String withId(String json, String idJson) {
        int[] span = memberSpan(json, "id");
        if (span == null) {
            throw new IllegalArgumentException("no top-level id in " + abbreviate(json));
        }
        return json.substring(0, span[0]) + idJson + json.substring(span[1]);
    }

    /** The raw text of a top-level member's value, or null when the object has no such member. */
    public static String memberText(String json, String member) {
        int[] span = memberSpan(json, member);
        return span == null ? null : json.substring(span[0], span[1]);
    }

    /**
     * Where the value of a top-level member of a JSON object text starts and ends (char offsets), or null. Found with
     * Jackson's streaming parser, so a nested member of the same name is never mistaken for it.
     */
    static int[] memberSpan(String json, String member) {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals(member)) {
                    int start = (int) p.currentTokenLocation().getCharOffset();
                    if (v.isStructStart()) {
                        p.skipChildren();
                        return new int[]{start, (int) p.currentLocation().getCharOffset()};
                    }
                    return new int[]{start, scalarEnd(json, start)};
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + abbreviate(json), e);
        }
    }

    /** The end of the scalar (string, number, literal) starting at {@code start}. */
    private static int scalarEnd(String json, int start) {
        if (json.charAt(start) == '"') {
            for (int i = start + 1; i < json.length(); i++) {
                char c = json.charAt(i);
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    return i + 1;
                }
            }
            throw new IllegalArgumentException("unterminated string in " + abbreviate(json));
        }
        int i = start;
        while (i < json.length() && ",}] \t\r\n".indexOf(json.charAt(i)) < 0) {
            i++;
        }
        return i;
    }

    public static String abbreviate(String text) {
        return text.length() <= 400 ? text : text.substring(0, 400) + "…(" + text.length() + " chars)";
    }
}
