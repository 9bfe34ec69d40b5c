package io.railyard.health;

import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** The status page for people: one table per network, healthy green, ejected red with the reason. */
final class StatusHtml {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private StatusHtml() {
    }

    static String render(JsonObject status) {
        Instant now = instant(status.getString("time"));
        StringBuilder html = new StringBuilder(4096);
        html.append("<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">")
                .append("<title>Railyard status</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;background:#fafafa;color:#222}")
                .append("h2{margin-bottom:.2em}h2 .pill{font-size:.6em;vertical-align:middle;margin-left:.6em}")
                .append(".pill{display:inline-block;padding:.2em .7em;border-radius:1em;color:#fff;font-weight:bold}")
                .append(".pill.all{background:#1e7e34}.pill.some{background:#c77700}.pill.none{background:#b3261e}")
                .append("table{border-collapse:collapse;margin-bottom:2em;min-width:60em;width:100%}")
                .append("th,td{padding:.4em .8em;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}")
                .append("th{background:#eee}")
                .append("td.state{font-weight:bold;color:#fff;white-space:nowrap;text-align:center}")
                .append("tr.healthy td.state{background:#1e7e34}tr.ejected td.state{background:#b3261e}")
                .append("tr.ejected td{background:#fdecea}td.reason{min-width:18em}tr.ejected td.reason{color:#8a1010;font-weight:600}")
                .append("td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}")
                .append(".muted{color:#777;font-weight:normal}")
                .append("</style></head><body><h1>Railyard</h1><p class=\"muted\">")
                .append(escape(clock(now))).append(" · refreshes every 2 s</p>");
        JsonObject networks = status.getJsonObject("networks");
        for (String name : networks.fieldNames()) {
            JsonObject net = networks.getJsonObject(name);
            int total = net.getJsonArray("upstreams").size();
            int healthy = net.getInteger("healthyUpstreams", 0);
            String health = healthy == total ? "all" : healthy == 0 ? "none" : "some";
            html.append("<h2>").append(escape(name)).append("<span class=\"pill ").append(health).append("\">")
                    .append(healthy).append(" / ").append(total).append(" healthy</span></h2><p class=\"muted\">chain ")
                    .append(net.getValue("chainId"))
                    .append(" · ").append(escape(net.getString("routing")))
                    .append(" · head ").append(net.getValue("head"))
                    .append(" · finalized ").append(net.getValue("finalized")).append("</p>")
                    .append("<table><tr><th>upstream</th><th>state</th><th>reason</th><th>head</th><th>lag</th>")
                    .append("<th>latency ms (avg / p99)</th><th>in flight</th><th>error rate</th><th>last error</th></tr>");
            for (Object o : net.getJsonArray("upstreams")) {
                JsonObject u = (JsonObject) o;
                String state = u.getString("state");
                Instant since = instant(u.getString("since"));
                html.append("<tr class=\"").append(state).append("\" data-upstream=\"").append(escape(u.getString("name"))).append("\">")
                        .append("<td>").append(escape(u.getString("name"))).append("<br><span class=\"muted\">")
                        .append(escape(u.getString("url"))).append("</span></td>")
                        .append("<td class=\"state\">").append("healthy".equals(state) ? "● " : "✕ ").append(escape(state)).append("</td>")
                        .append("<td class=\"reason\">").append(escape(u.getString("reason"))).append("<br><span class=\"muted\">since ")
                        .append(escape(clock(since)));
                if (now != null && since != null) {
                    html.append(" (").append(age(Duration.between(since, now))).append(')');
                }
                html.append("</span></td>")
                        .append("<td class=\"num\">").append(u.getValue("head")).append("</td>")
                        .append("<td class=\"num\">").append(orDash(u.getValue("lag"))).append("</td>")
                        .append("<td class=\"num\">").append(orDash(u.getValue("latencyEwmaMs"))).append(" / ")
                        .append(orDash(u.getValue("latencyP99Ms"))).append("</td>")
                        .append("<td class=\"num\">").append(orDash(u.getValue("inFlight"))).append("</td>")
                        .append("<td class=\"num\">").append(percent(u.getDouble("errorRate"))).append("</td>")
                        .append("<td>").append(escape(u.getString("lastError"))).append("</td></tr>");
            }
            html.append("</table>");
        }
        return html.append("</body></html>").toString();
    }

    private static Instant instant(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** To the second, in UTC: the page is read by people, nanoseconds are noise. */
    private static String clock(Instant t) {
        return t == null ? "" : CLOCK.format(t.truncatedTo(ChronoUnit.SECONDS)) + " UTC";
    }

    /** How long a state has held, roughly: "4 s", "12 min", "3 h", "2 d". */
    static String age(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) {
            return s + " s";
        }
        if (s < 7200) {
            return s / 60 + " min";
        }
        if (s < 172_800) {
            return s / 3600 + " h";
        }
        return s / 86_400 + " d";
    }

    /** The public copy of the page has no error rate. */
    private static String percent(Double rate) {
        return rate == null ? "–" : Math.round(rate * 100) + "%";
    }

    private static String orDash(Object v) {
        return v == null ? "–" : v.toString();
    }

    private static String escape(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
