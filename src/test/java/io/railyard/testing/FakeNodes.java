package io.railyard.testing;

import java.util.List;

/** The fake upstreams a {@link FakeNodesResource} started, injected into test fields of this type. */
public record FakeNodes(List<FakeUpstream> nodes) {

    public FakeUpstream get(int i) {
        return nodes.get(i);
    }

    public int size() {
        return nodes.size();
    }

    /** Back to normal service with zeroed counters, keeping the fake chain where it is. */
    public void resetAll() {
        nodes.forEach(FakeUpstream::reset);
    }

    public int trafficCalls() {
        return nodes.stream().mapToInt(FakeUpstream::trafficCalls).sum();
    }

    public int calls(String method) {
        return nodes.stream().mapToInt(n -> n.calls(method)).sum();
    }
}
