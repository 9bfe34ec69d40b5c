package io.railyard.testing;

import java.util.Map;

/** What the fake-node test resources share: their init args that are configuration keys become configuration. */
final class ResourceArgs {

    private ResourceArgs() {
    }

    /** Copies every {@code railyard.*} and {@code quarkus.*} init arg into {@code config}, over its defaults. */
    static void applyConfigKeys(Map<String, String> args, Map<String, String> config) {
        args.forEach((key, value) -> {
            if (key.startsWith("railyard.") || key.startsWith("quarkus.")) {
                config.put(key, value);
            }
        });
    }
}
