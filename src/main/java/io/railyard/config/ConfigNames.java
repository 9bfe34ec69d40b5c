package io.railyard.config;

import java.util.Locale;

/** The configuration name of a choice: its enum constant in lower kebab-case, as SmallRye Config reads it. */
final class ConfigNames {

    private ConfigNames() {
    }

    static String of(Enum<?> choice) {
        return choice.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
