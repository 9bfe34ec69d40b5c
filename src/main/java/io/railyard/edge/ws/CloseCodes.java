package io.railyard.edge.ws;

/** The WebSocket close codes the gateway uses (RFC 6455 §7.4.1), each for one documented reason. */
public final class CloseCodes {

    private CloseCodes() {
    }

    /** The gateway is shutting down (after its drain) or the connection was idle past the timeout. */
    public static final short GOING_AWAY = 1001;
    /** A binary message: JSON-RPC travels as text. */
    public static final short UNSUPPORTED_DATA = 1003;
    /** The client does not read what it is sent (its backlog passed {@code max-pending-bytes}). */
    public static final short POLICY_VIOLATION = 1008;
    /** A message over {@code max-message-bytes} (Vert.x closes with it). */
    public static final short MESSAGE_TOO_BIG = 1009;
}
