package io.railyard.devnet;

import io.quarkus.arc.profile.IfBuildProfile;
import io.railyard.config.RailyardConfig;
import io.railyard.upstream.LocalNetwork;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.file.Path;

/**
 * Starts the lockstep anvil devnet as dev mode's local network ({@code railyard.devnet.*}). A bean of the dev
 * build only: the production jar carries neither it nor the devnet.
 */
@IfBuildProfile("dev")
@ApplicationScoped
public class DevnetStarter implements LocalNetwork.Starter {

    /** The devnet's network name: {@code POST /devnet}. */
    public static final String NETWORK = "devnet";

    @Inject
    RailyardConfig config;

    @Override
    public LocalNetwork start() {
        RailyardConfig.DevnetConfig dc = config.devnet();
        Devnet.Options options = new Devnet.Options().nodeCount(dc.nodes()).blockInterval(dc.blockInterval());
        if (dc.anvilPath().isPresent()) {
            options = options.anvil(Path.of(dc.anvilPath().get()));
        }
        Devnet devnet = Devnet.start(options);
        return new LocalNetwork(NETWORK, devnet.chainId(), devnet.urls(), devnet::close);
    }
}
