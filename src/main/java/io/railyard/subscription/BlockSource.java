package io.railyard.subscription;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Where a head stream reads the chain from: the network, through the gateway's own forwarding and failover. */
public interface BlockSource {

    /** The network's latest block, without transactions. */
    Future<JsonObject> latest();

    /** The block with that hash, without transactions; fails when no node has it. */
    Future<JsonObject> byHash(String hash);

    /** Every log of the block with that hash, in log-index order. */
    Future<JsonArray> logs(String blockHash);
}
