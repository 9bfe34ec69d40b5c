package io.railyard.subscription;

import io.vertx.core.Context;

/**
 * One client subscription, as a stream sees it. Called on its {@link #loop()} (or the stream's event loop); an
 * implementation hands the notification to its connection without blocking.
 */
public interface Subscriber {

    SubscriptionKind kind();

    /**
     * The event loop of the subscriber's connection, on which it is told (with the other subscribers of that loop,
     * in one task); null to be told on the stream's thread.
     */
    default Context loop() {
        return null;
    }

    /** The log filter ({@link SubscriptionKind#LOGS} only), else null. */
    LogFilter filter();

    /** One notification: the {@code result} of an {@code eth_subscription} message. */
    void deliver(Notification result);

    /** The stream can no longer serve this subscription (a reorg deeper than it replays); it is dropped. */
    void end(String reason);
}
