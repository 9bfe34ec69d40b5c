package io.railyard.config;

import io.smallrye.config.ConfigValidationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a broken configuration is answered with before, and after, Quarkus reads it. */
class StartupProblemsTest {

    @Test
    void aBrokenYamlFileIsNamedWithItsLineAndColumn(@TempDir Path dir) throws IOException {
        Path file = Files.createDirectories(dir.resolve("config")).resolve("application.yaml");
        Files.writeString(file, "railyard:\n  networks:\n    main:\n      chain-id: 1\n     upstreams: [\n");
        assertEquals(List.of(file + ": line 5, column 6: expected <block end>, but found '<block mapping start>'"
                        + " (while parsing a block mapping at line 3)"),
                StartupProblems.yamlProblems(StartupProblems.yamlFiles(dir, Map.of(), Map.of())));

        Files.writeString(file, "railyard:\n  networks:\n    main:\n      chain-id: 1\n");
        assertEquals(List.of(), StartupProblems.yamlProblems(List.of(file)), "valid YAML");
    }

    @Test
    void theYamlFilesAreTheWorkingDirectorysAndThoseOfConfigLocations(@TempDir Path dir) throws IOException {
        Path local = Files.createDirectories(dir.resolve("config")).resolve("application.yaml");
        Path mounted = Files.createDirectories(dir.resolve("etc/railyard")).resolve("application.yaml");
        Path named = dir.resolve("extra.yml");
        for (Path p : List.of(local, mounted, named)) {
            Files.writeString(p, "a: 1\n");
        }
        assertEquals(List.of(local, mounted, named), StartupProblems.yamlFiles(dir, Map.of(),
                Map.of("QUARKUS_CONFIG_LOCATIONS", dir.resolve("etc/railyard") + ",file:" + named + ",classpath:x.yaml")));
        assertEquals(List.of(local, named), StartupProblems.yamlFiles(dir, Map.of("quarkus.config.locations", named.toString()),
                Map.of("QUARKUS_CONFIG_LOCATIONS", dir.resolve("etc/railyard").toString())), "the system property wins");
    }

    @Test
    void unmappedKeysReportedBySmallRyeGetADidYouMean() {
        ConfigValidationException failure = new ConfigValidationException(new ConfigValidationException.Problem[]{
                new ConfigValidationException.Problem("SRCFG00014: The config property railyard.networks.main.chain-id is required"),
                new ConfigValidationException.Problem("SRCFG00050: railyard.networks.main.chainId in SysPropConfigSource does not map to any root"),
                new ConfigValidationException.Problem("SRCFG00050: railyard.zzz in SysPropConfigSource does not map to any root")});
        assertEquals(List.of("railyard.networks.main.chainId (SysPropConfigSource): did you mean railyard.networks.main.chain-id?"),
                StartupProblems.suggestions(new RuntimeException("wrapped", failure)));
        assertEquals(List.of(), StartupProblems.suggestions(null));
    }
}
