package io.railyard.gateway;

import io.vertx.core.buffer.Buffer;

/**
 * The HTTP answer to one client body.
 *
 * @param status HTTP status
 * @param body   JSON body, or null when there is nothing to say (only notifications were sent)
 */
public record GatewayReply(int status, Buffer body) {
}
