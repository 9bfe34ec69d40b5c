package io.railyard.jsonrpc;

/** Small byte-level helpers for raw JSON values, so hot paths need not build trees. */
public final class JsonText {

    private JsonText() {
    }

    public static void appendQuoted(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    public static String quote(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 2);
        appendQuoted(sb, text);
        return sb.toString();
    }

    /** Whether the raw value, ignoring surrounding white space, is exactly the given literal. */
    public static boolean isLiteral(byte[] raw, String literal) {
        int start = skipWs(raw, 0);
        int end = raw.length;
        while (end > start && isWs(raw[end - 1])) {
            end--;
        }
        if (end - start != literal.length()) {
            return false;
        }
        for (int i = 0; i < literal.length(); i++) {
            if (raw[start + i] != literal.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the raw value is {@code []} or {@code {}} (white space allowed inside). */
    public static boolean isEmptyContainer(byte[] raw) {
        int start = skipWs(raw, 0);
        if (start >= raw.length || (raw[start] != '[' && raw[start] != '{')) {
            return false;
        }
        int next = skipWs(raw, start + 1);
        return next < raw.length && (raw[next] == ']' || raw[next] == '}');
    }

    private static int skipWs(byte[] raw, int from) {
        int i = from;
        while (i < raw.length && isWs(raw[i])) {
            i++;
        }
        return i;
    }

    private static boolean isWs(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
