package io.railyard.config;

import io.quarkus.runtime.configuration.ConfigurationException;

import java.util.List;

/**
 * Startup failure listing every configuration mistake, one per line. A {@link ConfigurationException}, so Quarkus
 * prints its message alone, as it does SmallRye Config's own findings, instead of a stack trace.
 */
public final class InvalidConfiguration extends ConfigurationException {

    public InvalidConfiguration(List<String> errors) {
        super("invalid Railyard configuration:\n  " + String.join("\n  ", errors));
    }

    @Override
    public Throwable fillInStackTrace() {
        return this;
    }
}
