package io.railyard.upstream;

import io.railyard.upstream.HealthPolicy.Vote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthPolicyTest {

    private final HealthPolicy policy = new HealthPolicy(5, 2, 3);

    private static ProbeResult at(long head) {
        return new ProbeResult(1, head, head - 10, head - 5, false, null);
    }

    /**
     * One vote per upstream, written {@code head/state}: head {@code -} for an upstream that did not answer this round
     * (hung, dead, wrong chain or syncing), state {@code h} healthy (serving) or {@code e} ejected.
     */
    private static List<Vote> votes(String spec) {
        List<Vote> votes = new ArrayList<>();
        for (String v : spec.trim().split("\\s+")) {
            String[] parts = v.split("/");
            boolean healthy = parts[1].equals("h");
            votes.add(parts[0].equals("-") ? Vote.silent(healthy) : new Vote(Long.parseLong(parts[0]), healthy));
        }
        return votes;
    }

    /** Per upstream (same order as the votes), the verdict of the soft rules against the elected head. */
    private String verdicts(List<Vote> votes, long head) {
        List<String> out = new ArrayList<>();
        for (Vote v : votes) {
            if (v.head() < 0) {
                out.add("silent");
                continue;
            }
            HealthPolicy.Unfit unfit = policy.unfit(at(v.head()), 1, head);
            out.add(unfit == null ? "fit" : unfit.tag());
        }
        return String.join(" ", out);
    }

    @ParameterizedTest(name = "{0}: {1} -> head {2}")
    @CsvSource(delimiter = '|', value = {
            "all answer, one a block or two behind | 1000/h 1002/h 1001/h | 1002 | fit fit fit",
            "one laggard does not pull the head down | 1000/h 1010/h 1009/h | 1010 | lag fit fit",
            "nobody answered | -/h -/h | -1 | silent silent",
            "a lone node | 7/h | 7 | fit",
            "a rogue far ahead while the others answer is ejected | 1000/h 1001/h 999999/h | 1001 | fit fit ahead",
            "two hung, the last answering node sets the head (finding 2) | -/h -/h 13/h | 13 | silent silent fit",
            "one hung, one dead, the live one is not ejected as ahead | 13/h -/h -/e | 13 | fit silent silent",
            "a restarted node still replaying cannot outvote the live one | 13/h -/h 4/e | 13 | fit silent lag",
            "two nodes back from a hang cannot outvote the one that kept answering | 21/h 12/e 12/e | 21 | fit lag lag",
            "a rogue that is not serving cannot get in beside one honest node | -/h 1000000/e 100/h | 100 | silent ahead fit",
            "of two serving nodes that disagree, nothing tells which is right: neither is ejected | 100/h 110/h | -1 | fit fit",
            "a rogue far ahead of the one honest node left serving ejects neither | -/e 1000000/h 100/h | -1 | silent fit fit",
            "a laggard and a rogue around a majority | 90/h 100/h 101/h 102/h 5000/h | 102 | lag fit fit fit ahead",
            "when none serves, everyone who answered votes | 20/e 20/e 3/e | 20 | fit fit lag",
            "when none serves, a rogue is still outvoted | 20/e 21/e 5000/e | 21 | fit fit ahead",
            "a head within max-lag of the leader is fit | 1042/h 1042/h 1037/h | 1042 | fit fit fit"})
    void headElection(String scenario, String spec, long expectedHead, String expectedVerdicts) {
        List<Vote> votes = votes(spec);
        long head = policy.electHead(votes);
        assertEquals(expectedHead, head, scenario);
        assertEquals(expectedVerdicts, verdicts(votes, head), scenario);
    }

    @ParameterizedTest(name = "panic with usable heads {0} -> serving {1}")
    @CsvSource(delimiter = '|', value = {
            "13 -1 -1 | 0",
            "-1 -1 -1 | ''",
            "20 12 12 | 0",
            "20 18 -1 | 0 1",
            "20 14 19 | 0 2"})
    void panicRuleServesTheBestOfThoseThatAnswered(String heads, String expected) {
        long[] usable = Arrays.stream(heads.trim().split("\\s+")).mapToLong(Long::parseLong).toArray();
        List<Integer> serving = policy.panicServers(usable);
        assertEquals(expected.isBlank() ? List.of() : Arrays.stream(expected.trim().split("\\s+")).map(Integer::valueOf).toList(),
                serving);
    }

    @Test
    void lagIsMeasuredAgainstTheElectedHead() {
        assertEquals("12 blocks behind best head 1042 (max-lag 5)", policy.unfit(at(1030), 1, 1042).detail());
        assertNull(policy.unfit(at(1037), 1, 1042), "5 behind is within max-lag 5");
        assertNull(policy.unfit(at(1), 1, -1), "no elected head: nobody is lagging");
    }

    @Test
    void wrongChainAndSyncingAreUnfit() {
        assertTrue(policy.unfit(new ProbeResult(5, 10, 0, 0, false, null), 1, 10).detail().startsWith("wrong chain"));
        assertEquals("syncing", policy.unfit(new ProbeResult(1, 10, 0, 0, true, null), 1, 10).detail());
    }

    @Test
    void thresholds() {
        assertFalse(policy.ejectsAfter(1));
        assertTrue(policy.ejectsAfter(2));
        assertFalse(policy.readmitsAfter(2));
        assertTrue(policy.readmitsAfter(3));
    }
}
