package io.railyard.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * src/main/docker/Dockerfile.jvm cannot be built here (no container engine); check what can be checked without one:
 * it copies the four parts of the fast-jar, runs as uid 185 and exposes the RPC port and the management port the
 * chart probes.
 */
class DockerfileTest {

    @Test
    void copiesTheFastJarAndRunsAsNonRoot() throws IOException {
        Path project = HelmChart.projectDir();
        List<String> lines = Files.readAllLines(project.resolve("src/main/docker/Dockerfile.jvm")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        List<String> copied = lines.stream().filter(l -> l.startsWith("COPY ")).map(l -> l.split("\\s+")[1]).toList();
        assertEquals(List.of("target/quarkus-app/lib/", "target/quarkus-app/quarkus-run.jar", "target/quarkus-app/app/",
                "target/quarkus-app/quarkus/"), copied);
        assertTrue(lines.contains("USER 185"), "runs as uid 185");
        assertTrue(lines.contains("EXPOSE 8080 9000"), "the RPC port and the management port (probes, metrics)");
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("ENTRYPOINT") && l.contains("exec java") && l.contains("quarkus-run.jar")),
                "java replaces the shell, so it gets SIGTERM");
        assertTrue(lines.stream().anyMatch(l -> l.contains("JAVA_OPTS=") && (l.contains("MaxRAMPercentage") || l.contains("-Xmx"))),
                "the heap is bounded");
        // the build context is only the fast-jar
        assertTrue(Files.readString(project.resolve(".dockerignore")).contains("!target/quarkus-app/"));
        Path app = project.resolve("target/quarkus-app");
        if (Files.isDirectory(app)) {
            for (String source : copied) {
                assertTrue(Files.exists(project.resolve(source)), source + " is part of the packaged layout");
            }
        }
    }
}
