package io.railyard.upstream;

import java.net.URI;
import java.util.List;

/**
 * A network the gateway starts itself when none is configured: dev mode's devnet. The upstream layer only knows this
 * shape; whatever starts the nodes provides a {@link Starter} bean (none is needed in production, where a
 * configuration without networks is refused).
 *
 * @param name    the network's name in the URL path
 * @param chainId the chain id its nodes report
 * @param nodes   the nodes' JSON-RPC endpoints
 * @param stop    stops the nodes when the gateway stops
 */
public record LocalNetwork(String name, long chainId, List<URI> nodes, Runnable stop) {

    /** Starts a local network; called once, at startup, only when no network is configured. */
    public interface Starter {
        LocalNetwork start();
    }
}
