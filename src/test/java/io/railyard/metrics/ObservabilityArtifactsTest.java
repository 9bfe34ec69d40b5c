package io.railyard.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Grafana dashboard and the Prometheus alert rules under {@code deploy/} parse, have the structure Grafana and
 * Prometheus need, and use only metric names the gateway exports ({@link Meters#PROMETHEUS_NAMES}): renaming a meter
 * without updating them fails here, not on an operator's empty panel or silent alert.
 */
class ObservabilityArtifactsTest {

    static final Path DASHBOARD = Path.of("deploy/grafana/railyard-dashboard.json");
    static final Path RULES = Path.of("deploy/prometheus/railyard-rules.yaml");

    private static final Pattern METRIC = Pattern.compile("railyard_[a-z_]+");
    private static final Pattern DURATION = Pattern.compile("([0-9]+(ms|s|m|h|d|w|y))+");
    /** rate(x[5m]), increase(x{a="b"}[$__rate_interval] offset 15m) and the like: what they are applied to. */
    private static final Pattern RANGE_FUNCTION = Pattern.compile("\\b(rate|irate|increase)\\(");
    private static final Pattern RANGE_ARGUMENT = Pattern.compile(
            "\\s*(railyard_[a-z_]+)\\s*(\\{[^}]*})?\\s*\\[(\\$__rate_interval|\\$__interval|[0-9]+[smhdwy])]\\s*(offset\\s+[0-9]+[smhdwy]\\s*)?\\)");
    private static final Pattern HISTOGRAM_QUANTILE = Pattern.compile(
            "histogram_quantile\\(\\s*(0?\\.[0-9]+|1)\\s*,\\s*sum by \\(([^)]*)\\)\\s*\\(\\s*rate\\(\\s*(railyard_[a-z_]+)");

    // ---------------------------------------------------------------- dashboard

    @Test
    void dashboardHasTheVariablesAndEveryPanelADataSourceAndTargets() throws IOException {
        JsonObject dash = new JsonObject(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
        assertTrue(dash.getInteger("schemaVersion") >= 36, "schemaVersion of a current Grafana");
        assertFalse(dash.getString("title", "").isBlank());
        assertFalse(dash.getString("uid", "").isBlank());

        Map<String, JsonObject> vars = new LinkedHashMap<>();
        for (Object o : dash.getJsonObject("templating").getJsonArray("list")) {
            JsonObject v = (JsonObject) o;
            vars.put(v.getString("name"), v);
        }
        JsonObject ds = vars.get("datasource");
        assertNotNull(ds, "a datasource variable");
        assertEquals("datasource", ds.getString("type"));
        assertEquals("prometheus", ds.getString("query"));
        JsonObject network = vars.get("network");
        assertNotNull(network, "a network variable");
        assertEquals("query", network.getString("type"));
        assertEquals("${datasource}", network.getJsonObject("datasource").getString("uid"));
        assertEquals("label_values(railyard_requests_total, network)", network.getString("definition"));
        Object query = network.getValue("query");
        String queryText = query instanceof JsonObject q ? q.getString("query") : (String) query;
        assertEquals("label_values(railyard_requests_total, network)", queryText);

        List<JsonObject> panels = panels(dash);
        assertTrue(panels.size() >= 10, "a dashboard, not a stub: " + panels.size() + " panels");
        Set<Integer> ids = new HashSet<>();
        for (JsonObject p : panels) {
            String title = p.getString("title");
            assertFalse(title == null || title.isBlank(), "every panel has a title: " + p.encode());
            assertTrue(ids.add(p.getInteger("id")), "panel ids are unique: " + p.getInteger("id"));
            JsonObject grid = p.getJsonObject("gridPos");
            assertNotNull(grid, title + ": gridPos");
            assertTrue(grid.getInteger("x") + grid.getInteger("w") <= 24, title + ": fits the 24-column grid");
            if ("row".equals(p.getString("type"))) {
                continue;
            }
            JsonObject pds = p.getJsonObject("datasource");
            assertNotNull(pds, title + ": has a datasource");
            assertEquals("${datasource}", pds.getString("uid"), title + ": uses the datasource variable");
            JsonArray targets = p.getJsonArray("targets");
            assertTrue(targets != null && !targets.isEmpty(), title + ": has at least one target");
            Set<String> refIds = new HashSet<>();
            for (Object t : targets) {
                JsonObject target = (JsonObject) t;
                assertFalse(target.getString("expr", "").isBlank(), title + ": every target has an expression");
                assertTrue(refIds.add(target.getString("refId")), title + ": refIds are unique");
            }
        }
    }

    @Test
    void dashboardShowsWhatTheOperatorNeeds() throws IOException {
        JsonObject dash = new JsonObject(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
        List<String> exprs = dashboardExpressions(dash);
        Set<String> used = new TreeSet<>();
        exprs.forEach(e -> used.addAll(metricNames(e)));
        for (String needed : List.of("railyard_requests_total", "railyard_request_duration_seconds_bucket",
                "railyard_upstream_up", "railyard_upstream_head_block", "railyard_upstream_lag_blocks",
                "railyard_upstream_latency_seconds_bucket", "railyard_upstream_in_flight", "railyard_cache_requests_total",
                "railyard_cache_bytes", "railyard_rate_limited_total", "railyard_failovers_total",
                "railyard_upstream_ejections_total")) {
            assertTrue(used.contains(needed), "the dashboard shows " + needed + "; it uses " + used);
        }
        String all = String.join("\n", exprs);
        for (String q : List.of("0.5", "0.95", "0.99")) {
            assertTrue(all.contains("histogram_quantile(" + q + ", sum by (network, le) (rate(railyard_request_duration_seconds_bucket"),
                    "request latency p" + q);
        }
        assertTrue(all.contains("outcome!=\"ok\""), "an error rate");
        assertTrue(all.contains("result=\"hit\"") && all.contains("result=\"miss\""), "a cache hit ratio");
        assertTrue(all.contains("sum by (network, upstream, reason)"), "ejections by reason");
        for (String e : panelExpressions(dash)) {
            if (e.contains("railyard_") && !e.contains("railyard_cache_bytes") && !e.contains("railyard_cache_evictions_total")) {
                assertTrue(e.contains("network=~\"$network\""), "follows the network variable: " + e);
            }
        }
    }

    // ---------------------------------------------------------------- rules

    @Test
    @SuppressWarnings("unchecked")
    void rulesHaveExprForSeverityAndAnnotations() throws IOException {
        Map<String, Object> doc = rules();
        List<Object> groups = (List<Object>) doc.get("groups");
        assertTrue(groups != null && !groups.isEmpty(), "groups");
        Set<String> groupNames = new HashSet<>();
        Map<String, String> alerts = new LinkedHashMap<>();
        for (Object g : groups) {
            Map<String, Object> group = (Map<String, Object>) g;
            assertTrue(groupNames.add((String) group.get("name")), "group names are unique: " + group.get("name"));
            List<Object> rules = (List<Object>) group.get("rules");
            assertTrue(rules != null && !rules.isEmpty(), group.get("name") + ": rules");
            for (Object r : rules) {
                Map<String, Object> rule = (Map<String, Object>) r;
                String name = (String) rule.get("alert");
                assertNotNull(name, "every rule here is an alert: " + rule);
                assertTrue(name.matches("[A-Za-z_][A-Za-z0-9_]*"), "valid alert name " + name);
                assertInstanceOf(String.class, rule.get("expr"), name + ": expr");
                String expr = (String) rule.get("expr");
                assertFalse(expr.isBlank(), name + ": expr");
                assertInstanceOf(String.class, rule.get("for"), name + ": for");
                assertTrue(DURATION.matcher((String) rule.get("for")).matches(), name + ": for is a duration: " + rule.get("for"));
                Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
                assertNotNull(labels, name + ": labels");
                assertTrue(Set.of("critical", "warning", "info").contains(labels.get("severity")), name + ": labels.severity");
                Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
                assertNotNull(annotations, name + ": annotations");
                for (String a : List.of("summary", "description")) {
                    assertInstanceOf(String.class, annotations.get(a), name + ": annotations." + a);
                    assertFalse(((String) annotations.get(a)).isBlank(), name + ": annotations." + a);
                    assertBalanced("{{", "}}", (String) annotations.get(a), name + ": annotations." + a);
                }
                assertEquals(null, alerts.put(name, expr), "alert names are unique: " + name);
            }
        }
        assertEquals("sum by (network) (railyard_upstream_up) == 0", oneLine(alerts.get("RailyardNoHealthyUpstream")));
        assertEquals("railyard_upstream_up == 0", oneLine(alerts.get("RailyardUpstreamEjected")));
        assertTrue(alerts.get("RailyardErrorRatioHigh").contains("railyard_requests_total"));
        assertTrue(alerts.get("RailyardLatencyP99High").contains("histogram_quantile(0.99"));
        assertTrue(alerts.get("RailyardCacheHitRatioCollapse").contains("railyard_cache_requests_total{result=\"hit\"}"));
    }

    // ---------------------------------------------------------------- names and PromQL

    @Test
    void everyMetricNameExistsInMeters() throws IOException {
        List<String> exprs = allExpressions();
        assertFalse(exprs.isEmpty());
        List<String> unknown = new ArrayList<>();
        for (String e : exprs) {
            unknown.addAll(unknownNames(e));
        }
        // Descriptions and help texts name metrics too: they must not point operators at a series that is not there.
        unknown.addAll(unknownNames(Files.readString(DASHBOARD, StandardCharsets.UTF_8)));
        unknown.addAll(unknownNames(Files.readString(RULES, StandardCharsets.UTF_8)));
        assertEquals(List.of(), List.copyOf(new LinkedHashSet<>(unknown)),
                "metric names missing from Meters.PROMETHEUS_NAMES (renamed or never registered?)");
    }

    @Test
    void everyExpressionIsSanePromQl() throws IOException {
        for (String e : allExpressions()) {
            assertEquals(List.of(), promQlProblems(e), e);
        }
    }

    /** The checks themselves catch what they are for. */
    @Test
    void checksCatchRenamedMetricsAndBrokenExpressions() {
        assertEquals(List.of("railyard_request_total"), unknownNames("sum(rate(railyard_request_total[5m]))"));
        assertEquals(List.of("railyard_upstream_up_bucket"), unknownNames("railyard_upstream_up_bucket"));
        assertEquals(List.of(), unknownNames("histogram_quantile(0.99, sum by (le) (rate(railyard_upstream_latency_seconds_bucket[5m])))"));
        assertEquals(List.of(), unknownNames("railyard_request_duration_seconds_count + railyard_request_duration_seconds_sum"));
        assertFalse(promQlProblems("sum(rate(railyard_requests_total[5m])").isEmpty(), "unclosed (");
        assertFalse(promQlProblems("sum(rate(railyard_requests_total[5m)))").isEmpty(), "] closed by )");
        assertFalse(promQlProblems("rate(railyard_requests_total{outcome=\"ok\"[5m])").isEmpty(), "unclosed {");
        assertTrue(promQlProblems("rate(railyard_requests_total{outcome=\")\"}[5m])").isEmpty(), "brackets in strings do not count");
        assertFalse(promQlProblems("rate(railyard_upstream_up[5m])").isEmpty(), "rate of a gauge");
        assertFalse(promQlProblems("rate(railyard_requests_total)").isEmpty(), "rate without a range");
        assertFalse(promQlProblems("histogram_quantile(0.99, sum by (network) (rate(railyard_request_duration_seconds_bucket[5m])))")
                .isEmpty(), "quantile without le");
        assertTrue(promQlProblems("histogram_quantile(0.99, sum by (network, le) (rate(railyard_request_duration_seconds_bucket[5m])))")
                .isEmpty());
    }

    // ---------------------------------------------------------------- helpers

    private static List<JsonObject> panels(JsonObject dash) {
        List<JsonObject> out = new ArrayList<>();
        for (Object o : dash.getJsonArray("panels")) {
            JsonObject p = (JsonObject) o;
            out.add(p);
            JsonArray nested = p.getJsonArray("panels");
            if (nested != null) {
                nested.forEach(n -> out.add((JsonObject) n));
            }
        }
        return out;
    }

    private static List<String> panelExpressions(JsonObject dash) {
        List<String> exprs = new ArrayList<>();
        for (JsonObject p : panels(dash)) {
            JsonArray targets = p.getJsonArray("targets");
            if (targets != null) {
                targets.forEach(t -> exprs.add(((JsonObject) t).getString("expr")));
            }
        }
        return exprs;
    }

    /** Panel targets and the query variables' definitions. */
    private static List<String> dashboardExpressions(JsonObject dash) {
        List<String> exprs = panelExpressions(dash);
        for (Object o : dash.getJsonObject("templating").getJsonArray("list")) {
            JsonObject v = (JsonObject) o;
            if ("query".equals(v.getString("type"))) {
                exprs.add(v.getString("definition"));
                Object q = v.getValue("query");
                exprs.add(q instanceof JsonObject j ? j.getString("query") : (String) q);
            }
        }
        return exprs;
    }

    @SuppressWarnings("unchecked")
    private static List<String> ruleExpressions() throws IOException {
        List<String> exprs = new ArrayList<>();
        for (Object g : (List<Object>) rules().get("groups")) {
            for (Object r : (List<Object>) ((Map<String, Object>) g).get("rules")) {
                exprs.add((String) ((Map<String, Object>) r).get("expr"));
            }
        }
        return exprs;
    }

    private static List<String> allExpressions() throws IOException {
        List<String> all = new ArrayList<>(dashboardExpressions(new JsonObject(Files.readString(DASHBOARD, StandardCharsets.UTF_8))));
        all.addAll(ruleExpressions());
        return all;
    }

    private static Map<String, Object> rules() throws IOException {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        Object doc = yaml.load(Files.readString(RULES, StandardCharsets.UTF_8));
        assertInstanceOf(Map.class, doc, "the rules file is a mapping with groups");
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) doc;
        return map;
    }

    private static Set<String> metricNames(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    /**
     * Names Prometheus would not find. Counters and gauges are exported under their own name; Micrometer timers
     * (the {@code _seconds} names) as histograms with {@code _bucket}, {@code _count} and {@code _sum} series.
     */
    static List<String> unknownNames(String text) {
        List<String> unknown = new ArrayList<>();
        for (String name : metricNames(text)) {
            if (!exported(name)) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    private static boolean exported(String name) {
        if (Meters.PROMETHEUS_NAMES.contains(name)) {
            return true;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                return base.endsWith("_seconds") && Meters.PROMETHEUS_NAMES.contains(base);
            }
        }
        return false;
    }

    private static boolean histogram(String name) {
        return name.endsWith("_bucket") || name.endsWith("_count") || name.endsWith("_sum");
    }

    /** Balanced (), [] and {} outside string literals; range functions over counters with a range; quantiles by le. */
    static List<String> promQlProblems(String expr) {
        List<String> problems = new ArrayList<>();
        StringBuilder stack = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            switch (c) {
                case '"', '\'', '`' -> quote = c;
                case '(', '[', '{' -> stack.append(c);
                case ')', ']', '}' -> {
                    char open = c == ')' ? '(' : c == ']' ? '[' : '{';
                    if (stack.isEmpty() || stack.charAt(stack.length() - 1) != open) {
                        problems.add("unmatched '" + c + "' at " + i);
                        return problems;
                    }
                    stack.setLength(stack.length() - 1);
                }
                default -> {
                }
            }
        }
        if (quote != 0) {
            problems.add("unterminated string");
        }
        if (!stack.isEmpty()) {
            problems.add("unclosed '" + stack + "'");
        }
        if (!problems.isEmpty()) {
            return problems;
        }
        Matcher f = RANGE_FUNCTION.matcher(expr);
        while (f.find()) {
            Matcher arg = RANGE_ARGUMENT.matcher(expr).region(f.end(), expr.length());
            if (!arg.lookingAt()) {
                problems.add(f.group(1) + "() at " + f.start() + " is not applied to a metric selector with a range");
                continue;
            }
            String name = arg.group(1);
            if (!name.endsWith("_total") && !histogram(name)) {
                problems.add(f.group(1) + "() of " + name + ", which is not a counter");
            }
        }
        Matcher q = HISTOGRAM_QUANTILE.matcher(expr);
        int quantiles = 0;
        while (q.find()) {
            quantiles++;
            List<String> by = List.of(q.group(2).split("\\s*,\\s*"));
            if (!by.contains("le")) {
                problems.add("histogram_quantile over " + q.group(3) + " does not keep le: by (" + q.group(2) + ")");
            }
            if (!q.group(3).endsWith("_bucket")) {
                problems.add("histogram_quantile over " + q.group(3) + ", which is not a _bucket series");
            }
        }
        int calls = expr.split("histogram_quantile\\(", -1).length - 1;
        if (calls != quantiles) {
            problems.add("histogram_quantile not in the form histogram_quantile(q, sum by (..., le) (rate(x_bucket[...])))");
        }
        return problems;
    }

    private static void assertBalanced(String open, String close, String text, String what) {
        assertEquals(text.split(Pattern.quote(open), -1).length, text.split(Pattern.quote(close), -1).length,
                what + ": template braces balance");
    }

    private static String oneLine(String expr) {
        return expr.trim().replaceAll("\\s+", " ");
    }
}
