package io.railyard.subscription;

/** What {@code eth_subscribe} can follow, by the name its first param gives (as geth names them). */
public enum SubscriptionKind {
    NEW_HEADS("newHeads"),
    LOGS("logs"),
    NEW_PENDING_TRANSACTIONS("newPendingTransactions");

    private final String wireName;

    SubscriptionKind(String wireName) {
        this.wireName = wireName;
    }

    /** The name clients subscribe with, and the {@code kind} tag of the subscription gauge. */
    public String wireName() {
        return wireName;
    }

    /** The kind a client names, or null for one the gateway does not serve. */
    public static SubscriptionKind named(String name) {
        for (SubscriptionKind kind : values()) {
            if (kind.wireName.equals(name)) {
                return kind;
            }
        }
        return null;
    }
}
