package io.railyard.gateway;

import io.vertx.core.buffer.Buffer;

import java.util.Map;

/**
 * The HTTP answer to one client body.
 *
 * @param status  HTTP status
 * @param body    JSON body, or null when there is nothing to say (only notifications were sent)
 * @param headers extra response headers (Retry-After, RateLimit...)
 */
public record GatewayReply(int status, Buffer body, Map<String, String> headers) {

    public GatewayReply(int status, Buffer body) {
        this(status, body, Map.of());
    }
}
