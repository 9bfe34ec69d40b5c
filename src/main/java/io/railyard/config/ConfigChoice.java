package io.railyard.config;

import java.util.Locale;

/**
 * A configuration choice: an enum whose constants configuration names in lower kebab-case ({@code ROUND_ROBIN} is
 * {@code round-robin}), the form SmallRye Config maps to the constant itself.
 */
public interface ConfigChoice {

    String name();

    /** The name configuration uses for it. */
    default String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
