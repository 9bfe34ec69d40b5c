package io.railyard.config;

import io.smallrye.config.ConfigValidationException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a newcomer needs to fix a configuration that stops the gateway, one line per mistake and no stack trace: a
 * broken YAML file named with its line and column (found before Quarkus reads it, whose own parser error names no
 * file), and a "did you mean" for each key SmallRye Config reports as mapping to nothing.
 */
public final class StartupProblems {

    private static final Pattern UNMAPPED = Pattern.compile("SRCFG00050: (\\S+) in (.+?) does not map to any root");

    private StartupProblems() {
    }

    /**
     * The YAML files Quarkus will read besides the application's own: {@code config/application.yaml} (or
     * {@code .yml}) in the working directory, and each file of {@code quarkus.config.locations} (the system
     * property, else {@code QUARKUS_CONFIG_LOCATIONS}), a directory standing for its {@code application.yaml}.
     */
    public static List<Path> yamlFiles(Path workingDir, Map<String, String> systemProperties, Map<String, String> env) {
        Set<Path> files = new LinkedHashSet<>();
        files.add(workingDir.resolve("config/application.yaml"));
        files.add(workingDir.resolve("config/application.yml"));
        String locations = systemProperties.getOrDefault("quarkus.config.locations", env.get("QUARKUS_CONFIG_LOCATIONS"));
        if (locations != null) {
            for (String location : locations.split(",")) {
                String path = location.trim();
                if (path.startsWith("file:")) {
                    path = path.substring("file:".length());
                } else if (path.isEmpty() || path.contains(":")) {
                    continue; // classpath: or a URL: not ours to read
                }
                Path p = workingDir.resolve(path);
                if (Files.isDirectory(p)) {
                    files.add(p.resolve("application.yaml"));
                    files.add(p.resolve("application.yml"));
                } else if (path.endsWith(".yaml") || path.endsWith(".yml")) {
                    files.add(p);
                }
            }
        }
        return files.stream().filter(Files::isRegularFile).toList();
    }

    /** One line per file that does not parse as YAML: the file, line and column, and what the parser expected. */
    public static List<String> yamlProblems(List<Path> files) {
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            yamlProblem(file).ifPresent(problems::add);
        }
        return problems;
    }

    static Optional<String> yamlProblem(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            // Composed, not constructed: only the syntax is checked, and no tag can build an object.
            for (Node ignored : new Yaml(new LoaderOptions()).composeAll(reader)) {
                // each document parsed
            }
            return Optional.empty();
        } catch (MarkedYAMLException e) {
            Mark at = e.getProblemMark();
            StringBuilder line = new StringBuilder(file.toString());
            if (at != null) {
                line.append(": line ").append(at.getLine() + 1).append(", column ").append(at.getColumn() + 1);
            }
            line.append(": ").append(e.getProblem());
            if (e.getContext() != null && e.getContextMark() != null) {
                line.append(" (").append(e.getContext()).append(" at line ").append(e.getContextMark().getLine() + 1).append(')');
            }
            return Optional.of(line.toString());
        } catch (YAMLException | IOException e) {
            return Optional.of(file + ": " + e.getMessage());
        }
    }

    /** A "did you mean" line for each key a startup failure reports as mapping to nothing, when one is close. */
    public static List<String> suggestions(Throwable failure) {
        List<String> lines = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConfigValidationException invalid) {
                for (int i = 0; i < invalid.getProblemCount(); i++) {
                    Matcher m = UNMAPPED.matcher(String.valueOf(invalid.getProblem(i).getMessage()));
                    if (m.find()) {
                        String name = m.group(1);
                        ConfigKeys.suggestion(name).ifPresent(s -> lines.add(name + " (" + m.group(2) + "): did you mean " + s + "?"));
                    }
                }
            }
        }
        return lines;
    }
}
