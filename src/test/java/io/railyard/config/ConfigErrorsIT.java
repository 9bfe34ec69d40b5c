package io.railyard.config;

import io.railyard.testing.PackagedGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged gateway stopped by a configuration mistake says what to fix, one line per mistake, with no stack
 * trace: a value the validator refuses, a choice outside its list, a misspelled key (with the key it probably meant),
 * a broken YAML file (named, with line and column).
 */
class ConfigErrorsIT {

    private record Exit(int code, String output) {
    }

    private static Exit run(Path workingDir, String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=0",
                "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=0"));
        command.addAll(Arrays.asList(options));
        command.addAll(List.of("-jar", PackagedGateway.JAR.toAbsolutePath().toString()));
        Process process = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the gateway did not stop");
        return new Exit(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static void assertNoStackTrace(Exit exit) {
        assertFalse(exit.output().lines().anyMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by")), exit.output());
    }

    @Test
    void aRefusedValueIsOneLineWithoutAStackTrace(@TempDir Path dir) throws Exception {
        Exit exit = run(dir, "-Drailyard.networks.main.chain-id=1", "-Drailyard.networks.main.upstreams.a.url=ftp://node",
                "-Drailyard.limits.max-in-flight=0");
        assertEquals(1, exit.code(), exit.output());
        assertTrue(exit.output().contains("invalid Railyard configuration:\n"
                + "  railyard.networks.main.upstreams.a.url: not an http(s) URL ('ftp://node')\n"), exit.output());
        assertTrue(exit.output().contains("  railyard.limits.max-in-flight: must be greater than zero (was 0)"), exit.output());
        assertNoStackTrace(exit);
    }

    @Test
    void aMisspelledKeyGetsTheKeyItProbablyMeant(@TempDir Path dir) throws Exception {
        Exit exit = run(dir, "-Drailyard.networks.main.chainId=1", "-Drailyard.networks.main.upstreams.a.url=http://127.0.0.1:9");
        assertEquals(1, exit.code(), exit.output());
        assertTrue(exit.output().contains("railyard.networks.main.chainId (SysPropConfigSource): did you mean"
                + " railyard.networks.main.chain-id?"), exit.output());
        assertNoStackTrace(exit);
    }

    @Test
    void aChoiceOutsideItsListNamesTheValidOnes(@TempDir Path dir) throws Exception {
        Exit exit = run(dir, "-Drailyard.networks.main.chain-id=1", "-Drailyard.networks.main.routing=random",
                "-Drailyard.networks.main.upstreams.a.url=http://127.0.0.1:9");
        assertEquals(1, exit.code(), exit.output());
        assertTrue(exit.output().contains("railyard.networks.main.routing with the config value \"random\""), exit.output());
        assertTrue(exit.output().contains("allowed values: round-robin"), exit.output());
        assertNoStackTrace(exit);
    }

    @Test
    void aBrokenYamlFileIsNamedWithItsLine(@TempDir Path dir) throws Exception {
        Path yaml = Files.createDirectories(dir.resolve("config")).resolve("application.yaml");
        Files.writeString(yaml, "railyard:\n  networks:\n    main:\n      chain-id: 1\n     upstreams: [\n");
        Exit exit = run(dir);
        assertEquals(1, exit.code(), exit.output());
        assertTrue(exit.output().contains("config/application.yaml: line 5, column 6: expected <block end>"), exit.output());
        assertNoStackTrace(exit);
    }
}
