package io.railyard.evm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads only the parts of raw params and results the rules need, with jackson-core's streaming parser (the
 * application has no databind), skipping the rest without materialising it: eth_call data can be large.
 * Values come back as plain Java: String, Boolean, Number, {@code Map<String, Object>}, {@code List<Object>},
 * or {@link #NULL} for JSON null.
 */
final class Json {

    /** JSON {@code null}. */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** An array element or object field that is not there. */
    static final Object MISSING = new Object() {
        @Override
        public String toString() {
            return "<missing>";
        }
    };

    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    /**
     * {@code params[index]}: {@link #MISSING} when the array is shorter (absent params count as {@code []}),
     * Java {@code null} when the params are not a JSON array.
     */
    static Object element(byte[] params, int index) {
        if (params == null) {
            return MISSING;
        }
        try (JsonParser p = FACTORY.createParser(params)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return null;
            }
            for (int i = 0; ; i++) {
                JsonToken t = p.nextToken();
                if (t == JsonToken.END_ARRAY) {
                    return MISSING;
                }
                if (t == null) {
                    return null;
                }
                if (i == index) {
                    return read(p);
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Where {@code params[index]} lies in the raw bytes: {@code [start, end)}. When the array has exactly
     * {@code index} elements, the empty span at its closing bracket ({@code start == end}), where the element would
     * go. Null when the params are not an array or are shorter than that.
     */
    static int[] elementSpan(byte[] params, int index) {
        try (JsonParser p = FACTORY.createParser(params)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return null;
            }
            for (int i = 0; ; i++) {
                JsonToken t = p.nextToken();
                if (t == null) {
                    return null;
                }
                int start = (int) p.currentTokenLocation().getByteOffset();
                if (t == JsonToken.END_ARRAY) {
                    return i == index ? new int[]{start, start} : null;
                }
                p.skipChildren();
                if (i == index) {
                    int end = (int) (p.currentTokenLocation().getByteOffset() + tokenLength(p));
                    return new int[]{start, end};
                }
            }
        } catch (IOException e) {
            return null;
        }
    }

    /** Bytes of the current token: a closing bracket or a scalar (strings with their quotes, as sent). */
    private static long tokenLength(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.END_ARRAY || t == JsonToken.END_OBJECT) {
            return 1;
        }
        // Jackson reads strings lazily: finish the token so that the parser stands just past its last byte.
        p.finishToken();
        return p.currentLocation().getByteOffset() - p.currentTokenLocation().getByteOffset();
    }

    /** Top-level field {@code name} of a raw JSON object: {@link #MISSING} when absent, {@code null} if no object. */
    static Object field(byte[] object, String name) {
        try (JsonParser p = FACTORY.createParser(object)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals(name)) {
                    return read(p);
                }
                p.skipChildren();
            }
            return MISSING;
        } catch (IOException e) {
            return null;
        }
    }

    /** A whole raw JSON value, or {@code null} when it is not JSON. */
    static Object parse(String json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() == null) {
                return null;
            }
            Object value = read(p);
            return p.nextToken() == null ? value : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The value starting at the parser's current token. */
    private static Object read(JsonParser p) throws IOException {
        switch (p.currentToken()) {
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                    String name = p.currentName();
                    p.nextToken();
                    map.put(name, read(p)); // a repeated key: the last wins, as in Go's encoding/json
                }
                return map;
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    if (t == null) {
                        throw new IOException("unterminated array");
                    }
                    list.add(read(p));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return p.getNumberValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return NULL;
            default:
                throw new IOException("unexpected " + p.currentToken());
        }
    }
}
