package io.railyard.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The devnet (process supervisor, lockstep miner, repairer) is dev mode's and the tests', not the product's: the
 * packaged application jar holds none of its classes (application.properties lists them under
 * {@code %prod.quarkus.package.jar.user-configured-ignored-entries}; a new class in devnet/ must be added there).
 */
class ProductionJarIT {

    @Test
    void theProductionJarHoldsNoDevnetClass() throws IOException {
        Path app = Path.of("target/quarkus-app/app");
        List<Path> jars;
        try (Stream<Path> files = Files.list(app)) {
            jars = files.filter(p -> p.toString().endsWith(".jar")).toList();
        }
        assertFalse(jars.isEmpty(), "no application jar under " + app.toAbsolutePath());
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                List<String> devnet = file.stream().map(e -> e.getName())
                        .filter(n -> n.startsWith("io/railyard/devnet/") && n.endsWith(".class")).toList();
                assertEquals(List.of(), devnet, jar + " carries devnet classes");
            }
        }
        try (Stream<Path> compiled = Files.list(Path.of("target/classes/io/railyard/devnet"))) {
            assertFalse(compiled.toList().isEmpty(), "the devnet is still built (for dev mode and the tests)");
        }
    }
}
