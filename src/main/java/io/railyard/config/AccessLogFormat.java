package io.railyard.config;

/**
 * How access-log lines are written.
 * A {@link ConfigChoice}: configured as {@code text}, and so on.
 */
public enum AccessLogFormat implements ConfigChoice {
    /** key=value pairs. */
    TEXT,
    /** One JSON object per line. */
    JSON
}
