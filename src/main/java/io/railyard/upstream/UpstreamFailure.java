package io.railyard.upstream;

/**
 * Why one call to one upstream did not produce a JSON-RPC answer. The message holds the details for the log and
 * the management port (addresses, exception texts); a client is only ever told its {@link #reason()}.
 */
public final class UpstreamFailure extends RuntimeException {

    /** Each kind with the reason class a client may be told (docs/errors.md): stable, and free of internals. */
    public enum Kind {
        /** The request never reached the node (connection refused, DNS, TLS): always safe to send elsewhere. */
        CONNECT(true, "connection refused"),
        TIMEOUT(true, "timeout"),
        /** Said with the status: {@code HTTP 502}. */
        HTTP_5XX(true, "HTTP"),
        RATE_LIMITED(true, "rate limited upstream"),
        /** Garbage, a truncated body, a wrong id or an oversized body. */
        BAD_REPLY(true, "bad answer"),
        /** The connection broke after the request was sent. */
        RESET(true, "connection reset"),
        /** The client went away; not the upstream's fault. */
        CANCELLED(false, "cancelled"),
        /** The upstream's circuit breaker is open: the call was not made. */
        BREAKER_OPEN(false, "circuit open"),
        /** The gateway holds as many answer bytes as railyard.forward.max-answer-bytes-in-flight allows. */
        ANSWER_BUDGET(false, "answer budget full"),
        /** The upstream refused a whole JSON-RPC batch (no batch support): its entries are sent one by one. */
        BATCH_REJECTED(false, "batch refused");

        private final boolean countsAgainstUpstream;
        private final String reason;

        Kind(boolean countsAgainstUpstream, String reason) {
            this.countsAgainstUpstream = countsAgainstUpstream;
            this.reason = reason;
        }

        public boolean countsAgainstUpstream() {
            return countsAgainstUpstream;
        }

        /** The reason class clients are told. */
        public String reason() {
            return reason;
        }
    }

    private final Kind kind;
    private final Upstream upstream;
    private final int httpStatus;

    public UpstreamFailure(Kind kind, Upstream upstream, String message) {
        this(kind, upstream, 0, message);
    }

    /** @param httpStatus the node's HTTP status where it is the reason (5xx), else 0 */
    public UpstreamFailure(Kind kind, Upstream upstream, int httpStatus, String message) {
        super(upstream + ": " + message, null, false, false);
        this.kind = kind;
        this.upstream = upstream;
        this.httpStatus = httpStatus;
    }

    public Kind kind() {
        return kind;
    }

    /** What a client may be told: the kind's reason class ({@code timeout}, {@code HTTP 502}), never the details. */
    public String reason() {
        return kind == Kind.HTTP_5XX && httpStatus > 0 ? kind.reason() + " " + httpStatus : kind.reason();
    }

    public Upstream upstream() {
        return upstream;
    }

    /** Whether the node may have received the request (so a non-idempotent call must not be re-sent). */
    public boolean maybeDelivered() {
        return kind != Kind.CONNECT && kind != Kind.BREAKER_OPEN && kind != Kind.BATCH_REJECTED;
    }
}
