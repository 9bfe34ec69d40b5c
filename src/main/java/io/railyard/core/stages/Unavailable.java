package io.railyard.core.stages;

/**
 * The gateway's own {@code -32002} answers when no upstream gave one, one per situation (docs/errors.md). What a
 * client reads is this template filled with the network, a block number or a reason class ({@code timeout},
 * {@code HTTP 502}: {@link io.railyard.upstream.UpstreamFailure#reason()}), never an address, a port or an
 * exception's text; those go to the log line that carries the same request id.
 */
public enum Unavailable {
    /** Every upstream of the network is ejected (or there are none). */
    NO_HEALTHY_UPSTREAM("no healthy upstream for network %s"),
    /** Tries were made and none gave an answer; the argument is the last one's reason. */
    EVERY_TRY_FAILED("every upstream tried failed (last: %s)"),
    /** The request's deadline passed before an answer came. */
    DEADLINE("no answer within the request deadline (last: %s)"),
    /** Calls that only one upstream can serve (a filter lives in one node's memory) and it failed. */
    OWNER_FAILED("the upstream that holds this filter failed (%s)"),
    /** The client hung up; nobody reads this answer. */
    CANCELLED("request cancelled by the client");

    private final String template;

    Unavailable(String template) {
        this.template = template;
    }

    /** The message for a client; a template's {@code (last: %s)} is left out when there was no try. */
    String message(Object arg) {
        if (arg == null) {
            int cut = template.indexOf(" (");
            return cut < 0 ? template.replace(" %s", "") : template.substring(0, cut);
        }
        return String.format(template, arg);
    }
}
