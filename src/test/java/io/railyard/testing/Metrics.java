package io.railyard.testing;

/** Reads one series from {@code /q/metrics} on the management port. */
public final class Metrics {

    private Metrics() {
    }

    public static String scrape() {
        return Management.given().get("/q/metrics").asString();
    }

    /**
     * @param series the name with its labels as Prometheus prints them, e.g.
     *               {@code railyard_failovers_total{network="testnet"}}
     * @return its value, 0 when absent
     */
    public static double value(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    /**
     * @param seriesPrefix the name and the start of its labels, e.g. <code>jvm_memory_used_bytes{area="heap",</code>
     * @return the sum of every series that starts so, 0 when there is none
     */
    public static double sum(String scrape, String seriesPrefix) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith(seriesPrefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
            }
        }
        return sum;
    }

    public static double value(String series) {
        return value(scrape(), series);
    }
}
