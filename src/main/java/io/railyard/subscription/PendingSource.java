package io.railyard.subscription;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;

/** Where a pending-transaction stream reads new transaction hashes: a filter on one node, through the gateway. */
public interface PendingSource {

    /** Creates a pending-transaction filter; completes with its id. */
    Future<String> newFilter();

    /** The hashes the filter saw since the last call; fails when the filter is gone (its node restarted, say). */
    Future<JsonArray> changes(String filterId);

    /** Removes the filter (best effort). */
    void uninstall(String filterId);
}
