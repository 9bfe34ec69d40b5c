package io.railyard.evm;

import io.railyard.jsonrpc.RpcRequest;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A parsed block reference: a number, a tag, or a hash (bare, or an EIP-1898 {@code {"blockHash": …}} object;
 * an EIP-1898 {@code {"blockNumber": …}} object is the number or tag it holds).
 *
 * @param kind             which of the three
 * @param number           the block number for {@link Kind#NUMBER} and for {@link Tag#EARLIEST} (0); -1 otherwise
 * @param tag              the tag for {@link Kind#TAG}, else null
 * @param hash             the lower-case 0x hash for {@link Kind#HASH}, else null
 * @param requireCanonical EIP-1898 {@code requireCanonical} of a hash reference
 */
public record BlockRef(Kind kind, long number, Tag tag, String hash, boolean requireCanonical) {

    public enum Kind { NUMBER, TAG, HASH }

    public enum Tag {
        LATEST, PENDING, SAFE, FINALIZED, EARLIEST;

        final String text = name().toLowerCase(Locale.ROOT);
    }

    public static final BlockRef LATEST = new BlockRef(Kind.TAG, -1, Tag.LATEST, null, false);

    public static BlockRef number(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative block number " + n);
        }
        return new BlockRef(Kind.NUMBER, n, null, null, false);
    }

    public static BlockRef tag(Tag tag) {
        return new BlockRef(Kind.TAG, tag == Tag.EARLIEST ? 0 : -1, tag, null, false);
    }

    public static BlockRef hash(String hash, boolean requireCanonical) {
        return new BlockRef(Kind.HASH, -1, null, hash.toLowerCase(Locale.ROOT), requireCanonical);
    }

    /** The block number this names outright: a number, or 0 for {@code earliest}. */
    public OptionalLong blockNumber() {
        return number >= 0 ? OptionalLong.of(number) : OptionalLong.empty();
    }

    /** Whether this names a block number at or below {@code finalizedBlock} (unknown, i.e. negative: never). */
    public boolean isFinal(long finalizedBlock) {
        return number >= 0 && finalizedBlock >= 0 && number <= finalizedBlock;
    }

    /**
     * Whether the block this names has the same content on every node forever: a hash that need not be
     * canonical. With {@code requireCanonical} the answer turns into an error after a reorg, so it is not.
     */
    public boolean isImmutableHash() {
        return kind == Kind.HASH && !requireCanonical;
    }

    /**
     * Parses the raw JSON of a block parameter: a quantity string ({@code "0x1b4"}, leading zeros allowed), a
     * tag, a 32-byte hash string, or an EIP-1898 object. Empty for anything else, including JSON numbers and
     * decimal strings, which nodes reject.
     */
    public static Optional<BlockRef> parseJson(String json) {
        return json == null ? Optional.empty() : fromJson(Json.parse(json));
    }

    /** The same, from a value read by {@link Json}. */
    static Optional<BlockRef> fromJson(Object value) {
        if (value instanceof String text) {
            return parse(text);
        }
        if (!(value instanceof Map<?, ?> object)) {
            return Optional.empty();
        }
        Object hash = object.get("blockHash");
        Object number = object.get("blockNumber");
        Object canonical = object.get("requireCanonical");
        if (hash != null && number != null) {
            return Optional.empty(); // nodes reject the ambiguity
        }
        if (canonical != null && !(canonical instanceof Boolean)) {
            return Optional.empty();
        }
        if (hash instanceof String h && isHash(h)) {
            return Optional.of(hash(h, Boolean.TRUE.equals(canonical)));
        }
        if (hash == null && number instanceof String n) {
            return parse(n).filter(r -> r.kind != Kind.HASH);
        }
        return Optional.empty();
    }

    /** Parses the text of a block parameter string (without its quotes). */
    public static Optional<BlockRef> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        for (Tag t : Tag.values()) {
            if (t.text.equals(text)) {
                return Optional.of(tag(t));
            }
        }
        if (isHash(text)) {
            return Optional.of(hash(text, false));
        }
        long n = parseQuantity(text);
        return n < 0 ? Optional.empty() : Optional.of(number(n));
    }

    /**
     * The block parameter of a request, at its method's {@link MethodSpec#blockParam()} index. An absent (or
     * JSON null) trailing block parameter means {@code latest}, as nodes treat it. Empty when the method has no
     * block parameter or the params are malformed.
     */
    public static Optional<BlockRef> of(RpcRequest req) {
        int index = MethodCatalog.spec(req.method()).blockParam();
        if (index < 0) {
            return Optional.empty();
        }
        Object value = Json.element(req.params(), index);
        if (value == Json.MISSING || value == Json.NULL) {
            return Optional.of(LATEST);
        }
        return fromJson(value);
    }

    /**
     * The highest block number a request names outright (its block parameter, or both ends of an
     * {@code eth_getLogs} range): only upstreams whose head has reached it can answer. Empty when it names
     * none (tags, hashes, no block at all).
     */
    public static OptionalLong highestBlockNamed(RpcRequest req) {
        if (MethodCatalog.spec(req.method()).cacheRule() == CacheRule.LOGS) {
            return logsRangeTop(req);
        }
        return of(req).map(BlockRef::blockNumber).orElse(OptionalLong.empty());
    }

    /** The higher end of an {@code eth_getLogs} filter's range, when it names one by number. */
    private static OptionalLong logsRangeTop(RpcRequest req) {
        if (!(Json.element(req.params(), 0) instanceof Map<?, ?> filter)) {
            return OptionalLong.empty();
        }
        long from = numberIn(filter.get("fromBlock"));
        long to = numberIn(filter.get("toBlock"));
        long max = Math.max(from, to);
        return max >= 0 ? OptionalLong.of(max) : OptionalLong.empty();
    }

    /**
     * The head a node must have reached to answer the request as the network has shown itself: the highest block
     * it names, or for a read at {@code pending} the network's served head, since a node behind it holds an older
     * pending state (its pending nonce can be below that of a transaction the client has already seen mined, so
     * the client would sign the same nonce again). -1 when any node may answer.
     */
    public static long headNeeded(RpcRequest req, long servedHead) {
        if (MethodCatalog.spec(req.method()).cacheRule() == CacheRule.LOGS) {
            return logsRangeTop(req).orElse(-1);
        }
        // The params are read once: this runs for every forwarded call.
        Optional<BlockRef> ref = of(req);
        if (ref.isEmpty()) {
            return -1;
        }
        if (ref.get().kind() == Kind.TAG && ref.get().tag() == Tag.PENDING) {
            return Math.max(-1, servedHead);
        }
        return ref.get().blockNumber().orElse(-1);
    }

    private static long numberIn(Object value) {
        return value instanceof String text ? parse(text).map(r -> r.number).orElse(-1L) : -1;
    }

    /** Whether the text is {@code 0x} followed by exactly 64 hex digits. */
    public static boolean isHash(String text) {
        if (text == null || text.length() != 66 || !text.startsWith("0x")) {
            return false;
        }
        for (int i = 2; i < 66; i++) {
            if (hexDigit(text.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A hex quantity ({@code 0x} and 1 to 16 significant hex digits; leading zeros allowed) as a non-negative
     * long, or -1 when the text is not one or does not fit.
     */
    public static long parseQuantity(String text) {
        if (text == null || text.length() < 3 || !text.startsWith("0x")) {
            return -1;
        }
        long value = 0;
        for (int i = 2; i < text.length(); i++) {
            int d = hexDigit(text.charAt(i));
            if (d < 0 || (value >>> 59) != 0) { // a further digit would pass 2^63
                return -1;
            }
            value = (value << 4) | d;
        }
        return value;
    }

    // Only ASCII: Character.digit would also accept full-width and other Unicode digits.
    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
