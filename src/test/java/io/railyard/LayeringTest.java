package io.railyard;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Dependencies between the packages of {@code src/main} and the devnet's {@code src/devnet} point one way: no
 * package reaches itself through its imports, {@code config} imports nothing of ours, nothing but {@code devnet}
 * names the devnet, and {@code src/main} holds none of it.
 */
class LayeringTest {

    private static final Pattern PACKAGE = Pattern.compile("^package (io\\.railyard[\\w.]*);", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.railyard(?:\\.[a-z]\\w*)*)\\.[A-Z]", Pattern.MULTILINE);

    /** Package → the packages of ours it imports. */
    private static Map<String, Set<String>> imports() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Stream.concat(Files.walk(Path.of("src/main/java")), Files.walk(Path.of("src/devnet/java")))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) {
                    continue;
                }
                Set<String> targets = graph.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
                Matcher imp = IMPORT.matcher(source);
                while (imp.find()) {
                    if (!imp.group(1).equals(pkg.group(1))) {
                        targets.add(imp.group(1));
                    }
                }
            }
        }
        return graph;
    }

    @Test
    void noPackageReachesItselfThroughItsImports() throws IOException {
        Map<String, Set<String>> graph = imports();
        List<String> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            List<String> path = new ArrayList<>(List.of(start));
            if (reaches(graph, start, start, path, new TreeSet<>())) {
                cycles.add(String.join(" -> ", path));
            }
        }
        assertEquals(List.of(), cycles);
    }

    private static boolean reaches(Map<String, Set<String>> graph, String from, String target, List<String> path, Set<String> seen) {
        for (String next : graph.getOrDefault(from, Set.of())) {
            path.add(next);
            if (next.equals(target) || (seen.add(next) && reaches(graph, next, target, path, seen))) {
                return true;
            }
            path.remove(path.size() - 1);
        }
        return false;
    }

    @Test
    void configImportsNothingOfOursAndOnlyTheDevnetNamesTheDevnet() throws IOException {
        Map<String, Set<String>> graph = imports();
        assertEquals(Set.of(), graph.get("io.railyard.config"), "config's imports of ours");
        List<String> devnetUsers = graph.entrySet().stream()
                .filter(e -> !e.getKey().equals("io.railyard.devnet") && e.getValue().contains("io.railyard.devnet"))
                .map(Map.Entry::getKey).toList();
        assertEquals(List.of(), devnetUsers, "packages that import the devnet");
        assertFalse(Files.exists(Path.of("src/main/java/io/railyard/devnet")), "the devnet lives in src/devnet/java");
    }
}
