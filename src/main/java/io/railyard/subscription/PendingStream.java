package io.railyard.subscription;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One network's {@code newPendingTransactions} subscribers, served from one pending-transaction filter on one node
 * (created through the gateway, so filter calls go back to the node that holds it), polled each step. When the
 * filter or its node is lost, a new one is made on another node; hashes already delivered lately are not delivered
 * again. Pending transactions are a node's view, not the chain's: a transaction seen only by a node that died before
 * the next poll is not delivered (as from that node). Steps run one at a time on the stream's event loop.
 */
public final class PendingStream {

    private static final Logger LOG = Logger.getLogger(PendingStream.class);
    /** Hashes remembered to deliver each once across filters on different nodes. */
    static final int REMEMBERED = 10_000;

    private final String network;
    private final PendingSource source;
    private final Subscribers subscribers = new Subscribers();
    private final Map<String, Boolean> delivered = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };
    private String filterId;
    private boolean stepping;
    private boolean lostLogged;

    public PendingStream(String network, PendingSource source) {
        this.network = network;
        this.source = source;
    }

    public void add(Subscriber subscriber) {
        subscribers.add(subscriber);
    }

    public void remove(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    public int count() {
        return subscribers.size();
    }

    /** One step: makes the filter if there is none, else delivers what it saw. Nobody following: the filter goes. */
    public Future<Void> advance() {
        if (stepping) {
            return Future.succeededFuture();
        }
        if (subscribers.isEmpty()) {
            if (filterId != null) {
                source.uninstall(filterId);
                filterId = null;
            }
            return Future.succeededFuture();
        }
        stepping = true;
        Future<Void> step = filterId == null
                ? source.newFilter().map(id -> {
                    filterId = id;
                    return null;
                })
                : source.changes(filterId).map(hashes -> {
                    deliver(hashes);
                    lostLogged = false;
                    return null;
                });
        return step.andThen(done -> {
            stepping = false;
            if (done.failed()) {
                if (!lostLogged) {
                    lostLogged = true;
                    LOG.infof("pending transactions on %s: filter lost (%s); making a new one", network, done.cause().getMessage());
                }
                filterId = null;
            }
        }).mapEmpty();
    }

    private void deliver(JsonArray hashes) {
        for (int i = 0; i < hashes.size(); i++) {
            Object hash = hashes.getValue(i);
            if (!(hash instanceof String h) || delivered.put(h.toLowerCase(java.util.Locale.ROOT), Boolean.TRUE) != null) {
                continue;
            }
            Notification encoded = new Notification("\"" + h + "\"");
            subscribers.each(s -> s.deliver(encoded));
        }
    }
}
