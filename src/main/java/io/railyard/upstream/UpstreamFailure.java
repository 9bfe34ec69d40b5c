package io.railyard.upstream;

/** Why one call to one upstream did not produce a JSON-RPC answer. */
public final class UpstreamFailure extends RuntimeException {

    public enum Kind {
        /** The request never reached the node (connection refused, DNS, TLS): always safe to send elsewhere. */
        CONNECT(true),
        TIMEOUT(true),
        HTTP_5XX(true),
        RATE_LIMITED(true),
        /** Garbage, a truncated body, a wrong id or an oversized body. */
        BAD_REPLY(true),
        /** The connection broke after the request was sent. */
        RESET(true),
        /** The client went away; not the upstream's fault. */
        CANCELLED(false),
        /** The upstream's circuit breaker is open: the call was not made. */
        BREAKER_OPEN(false),
        /** The upstream refused a whole JSON-RPC batch (no batch support): its entries are sent one by one. */
        BATCH_REJECTED(false);

        private final boolean countsAgainstUpstream;

        Kind(boolean countsAgainstUpstream) {
            this.countsAgainstUpstream = countsAgainstUpstream;
        }

        public boolean countsAgainstUpstream() {
            return countsAgainstUpstream;
        }
    }

    private final Kind kind;
    private final Upstream upstream;

    public UpstreamFailure(Kind kind, Upstream upstream, String message) {
        super(upstream + ": " + message, null, false, false);
        this.kind = kind;
        this.upstream = upstream;
    }

    public Kind kind() {
        return kind;
    }

    public Upstream upstream() {
        return upstream;
    }

    /** Whether the node may have received the request (so a non-idempotent call must not be re-sent). */
    public boolean maybeDelivered() {
        return kind != Kind.CONNECT && kind != Kind.BREAKER_OPEN && kind != Kind.BATCH_REJECTED;
    }
}
