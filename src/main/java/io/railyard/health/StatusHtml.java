package io.railyard.health;

import io.vertx.core.json.JsonObject;

/** The status page for people: one table per network, healthy green, ejected red with the reason. */
final class StatusHtml {

    private StatusHtml() {
    }

    static String render(JsonObject status) {
        StringBuilder html = new StringBuilder(4096);
        html.append("<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">")
                .append("<title>Railyard status</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;background:#fafafa;color:#222}")
                .append("table{border-collapse:collapse;margin-bottom:2em;min-width:60em}")
                .append("th,td{padding:.4em .8em;text-align:left;border-bottom:1px solid #ddd}")
                .append("th{background:#eee}tr.healthy td.state{background:#c8f7c5;color:#135e10;font-weight:bold}")
                .append("tr.ejected td.state{background:#f8c4c4;color:#8a1010;font-weight:bold}")
                .append("td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777}")
                .append("</style></head><body><h1>Railyard</h1><p class=\"muted\">")
                .append(escape(status.getString("time"))).append(" · refreshes every 2 s</p>");
        JsonObject networks = status.getJsonObject("networks");
        for (String name : networks.fieldNames()) {
            JsonObject net = networks.getJsonObject(name);
            html.append("<h2>").append(escape(name)).append("</h2><p>chain ").append(net.getValue("chainId"))
                    .append(" · ").append(escape(net.getString("routing")))
                    .append(" · head ").append(net.getValue("head"))
                    .append(" · finalized ").append(net.getValue("finalized"))
                    .append(" · ").append(net.getValue("healthyUpstreams")).append(" healthy</p>")
                    .append("<table><tr><th>upstream</th><th>state</th><th>reason</th><th>head</th><th>lag</th>")
                    .append("<th>latency ms (avg / p99)</th><th>in flight</th><th>error rate</th><th>last error</th></tr>");
            for (Object o : net.getJsonArray("upstreams")) {
                JsonObject u = (JsonObject) o;
                String state = u.getString("state");
                html.append("<tr class=\"").append(state).append("\" data-upstream=\"").append(escape(u.getString("name"))).append("\">")
                        .append("<td>").append(escape(u.getString("name"))).append("<br><span class=\"muted\">")
                        .append(escape(u.getString("url"))).append("</span></td>")
                        .append("<td class=\"state\">").append(state).append("</td>")
                        .append("<td>").append(escape(u.getString("reason"))).append("<br><span class=\"muted\">since ")
                        .append(escape(u.getString("since"))).append("</span></td>")
                        .append("<td class=\"num\">").append(u.getValue("head")).append("</td>")
                        .append("<td class=\"num\">").append(orDash(u.getValue("lag"))).append("</td>")
                        .append("<td class=\"num\">").append(orDash(u.getValue("latencyEwmaMs"))).append(" / ")
                        .append(orDash(u.getValue("latencyP99Ms"))).append("</td>")
                        .append("<td class=\"num\">").append(u.getValue("inFlight")).append("</td>")
                        .append("<td class=\"num\">").append(Math.round(u.getDouble("errorRate") * 100)).append("%</td>")
                        .append("<td>").append(escape(u.getString("lastError"))).append("</td></tr>");
            }
            html.append("</table>");
        }
        return html.append("</body></html>").toString();
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
