package io.railyard.testing;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * A web site for browser tests: fixed files on a free loopback port, so a page has an origin of its own
 * ({@code http://127.0.0.1:<port>}) and scripts load from the build's npm install rather than a CDN.
 */
public final class PageServer implements AutoCloseable {

    /** One file: its content type and bytes. */
    public record Page(String contentType, byte[] body) {
    }

    private final HttpServer server;

    private PageServer(HttpServer server) {
        this.server = server;
    }

    /** @param pages by path, e.g. {@code /index.html} */
    public static PageServer start(Map<String, Page> pages) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                try (exchange) {
                    Page page = pages.get(exchange.getRequestURI().getPath());
                    if (page == null) {
                        exchange.sendResponseHeaders(404, -1);
                        return;
                    }
                    exchange.getResponseHeaders().set("Content-Type", page.contentType());
                    exchange.getResponseHeaders().set("Cache-Control", "no-store");
                    exchange.sendResponseHeaders(200, page.body().length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(page.body());
                    }
                }
            });
            server.start();
            return new PageServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException("page server did not start", e);
        }
    }

    /** {@code http://127.0.0.1:<port>}: the origin of every page served here. */
    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
