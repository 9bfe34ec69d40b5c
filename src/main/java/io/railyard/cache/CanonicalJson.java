package io.railyard.cache;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.railyard.jsonrpc.JsonText;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes JSON in one canonical form (no white space, object keys sorted) so that formatting and key order never
 * split the cache. Values are never rewritten: numbers keep their text and strings their content, so two
 * requests a node could answer differently ({@code "0x1"} and {@code "0x01"}) never share a key.
 */
public final class CanonicalJson {

    private static final JsonFactory FACTORY = new JsonFactory();

    private CanonicalJson() {
    }

    /** @return the canonical text, or null when the input is not valid JSON */
    public static String of(byte[] json) {
        if (json == null) {
            return "[]";
        }
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() == null) {
                return null;
            }
            StringBuilder out = new StringBuilder(json.length);
            write(p, out);
            return p.nextToken() == null ? out.toString() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void write(JsonParser p, StringBuilder out) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT -> {
                Map<String, String> fields = new TreeMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    StringBuilder value = new StringBuilder();
                    write(p, value);
                    fields.put(name, value.toString());
                }
                out.append('{');
                boolean first = true;
                for (Map.Entry<String, String> e : fields.entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    JsonText.appendQuoted(out, e.getKey());
                    out.append(':').append(e.getValue());
                }
                out.append('}');
            }
            case START_ARRAY -> {
                out.append('[');
                boolean first = true;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    write(p, out);
                }
                out.append(']');
            }
            case VALUE_STRING -> JsonText.appendQuoted(out, p.getText());
            default -> out.append(p.getText());
        }
    }
}
