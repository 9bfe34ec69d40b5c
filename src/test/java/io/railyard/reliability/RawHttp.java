package io.railyard.reliability;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deliberately dumb HTTP/1.1 client on a raw socket, for requests no well-behaved client would send: no or odd
 * Content-Type, bodies that are not UTF-8, bodies streamed while the answer is read, trickled or never-finished
 * bodies. Only what the reliability suites need.
 */
final class RawHttp {

    private RawHttp() {
    }

    /** One HTTP answer; header names in lower case. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A request body that can be written piece by piece (so 100 MB never sits in memory). */
    interface Body {
        long length();

        /** Writes the body, adding each written byte count to {@code written}. */
        void writeTo(OutputStream out, AtomicLong written) throws IOException;

        static Body of(byte[] bytes) {
            return new Body() {
                @Override
                public long length() {
                    return bytes.length;
                }

                @Override
                public void writeTo(OutputStream out, AtomicLong written) throws IOException {
                    for (int at = 0; at < bytes.length; at += 65536) {
                        int n = Math.min(65536, bytes.length - at);
                        out.write(bytes, at, n);
                        written.addAndGet(n);
                    }
                }
            };
        }
    }

    /** The request line and headers. {@code contentType} null: no Content-Type header at all. */
    static byte[] head(String path, String contentType, List<String> extraHeaders, long contentLength, boolean chunked,
                       boolean close) {
        StringBuilder sb = new StringBuilder("POST ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if (contentType != null) {
            sb.append("Content-Type: ").append(contentType).append("\r\n");
        }
        for (String h : extraHeaders) {
            sb.append(h).append("\r\n");
        }
        if (chunked) {
            sb.append("Transfer-Encoding: chunked\r\n");
        } else {
            sb.append("Content-Length: ").append(contentLength).append("\r\n");
        }
        if (close) {
            sb.append("Connection: close\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Wraps {@code out} so that everything written to it goes out as HTTP chunks; {@link #finish} writes the last one. */
    static final class ChunkedOutput extends OutputStream {
        private final OutputStream out;

        ChunkedOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b, off, len);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }

        void finish() throws IOException {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    /** Sends a whole request on a fresh connection (Connection: close) and reads the answer. */
    static Response post(int port, String path, String contentType, byte[] body, int timeoutMs) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(timeoutMs);
            OutputStream out = socket.getOutputStream();
            out.write(head(path, contentType, List.of(), body.length, false, true));
            out.write(body);
            out.flush();
            return read(socket.getInputStream());
        }
    }

    /**
     * Reads one final answer (1xx interim answers are skipped): status line, headers, then the body by
     * Content-Length, chunked, or up to the end of the stream.
     */
    static Response read(InputStream raw) throws IOException {
        InputStream in = raw instanceof BufferedInputStream ? raw : new BufferedInputStream(raw);
        while (true) {
            String statusLine = line(in);
            if (statusLine == null) {
                throw new EOFException("connection closed before an answer");
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP status line: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            String h;
            while ((h = line(in)) != null && !h.isEmpty()) {
                int colon = h.indexOf(':');
                if (colon > 0) {
                    headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
                }
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            byte[] body;
            String length = headers.get("content-length");
            if (status == 204 || status == 304) {
                body = new byte[0];
            } else if (length != null) {
                body = in.readNBytes(Integer.parseInt(length));
                if (body.length != Integer.parseInt(length)) {
                    throw new EOFException("body cut short: " + body.length + " of " + length + " bytes");
                }
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                while (true) {
                    String size = line(in);
                    if (size == null) {
                        throw new EOFException("chunked body cut short");
                    }
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        while ((h = line(in)) != null && !h.isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    all.write(in.readNBytes(n));
                    line(in);
                }
                body = all.toByteArray();
            } else {
                body = in.readAllBytes();
            }
            return new Response(status, headers, body);
        }
    }

    /** One CRLF-terminated line without its terminator, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    /** Whether the peer has closed the connection: a read returns end of stream (or the connection is reset). */
    static boolean closedByPeer(Socket socket, int waitMs) {
        try {
            socket.setSoTimeout(waitMs);
            return socket.getInputStream().read() == -1;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
