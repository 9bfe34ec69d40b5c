package io.railyard.testing;

import java.util.List;

/** The replay upstreams a {@link ReplayNodesResource} started, injected into test fields of this type. */
public record ReplayNodes(List<ReplayUpstream> replays) {

    public ReplayUpstream get(int i) {
        return replays.get(i);
    }

    public int size() {
        return replays.size();
    }

    /** Calls with this key over every replay, probes included. */
    public int calls(String key) {
        return replays.stream().mapToInt(r -> r.calls(key)).sum();
    }

    /** Calls that are not probe-shaped, over every replay. */
    public int trafficCalls() {
        return replays.stream().mapToInt(ReplayUpstream::trafficCalls).sum();
    }

    /** Requests no replay found in the corpus. */
    public List<String> unmatched() {
        return replays.stream().flatMap(r -> r.unmatched().stream()).toList();
    }

    public void resetCounts() {
        replays.forEach(ReplayUpstream::resetCounts);
    }
}
