package io.railyard.config;

/** How access-log lines are written. Configured by its kebab-case name ({@code text}), which SmallRye Config maps itself. */
public enum AccessLogFormat {
    /** key=value pairs. */
    TEXT,
    /** One JSON object per line. */
    JSON;

    /** The name configuration uses for it. */
    public String configName() {
        return ConfigNames.of(this);
    }
}
