package io.railyard;

import io.quarkus.runtime.ApplicationLifecycleManager;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.railyard.config.StartupProblems;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * The packaged gateway's entry point: a broken YAML file stops it with one line naming the file, line and column,
 * and a key SmallRye Config does not map gets a "did you mean" under Quarkus's own list of mistakes.
 */
@QuarkusMain
public final class RailyardMain {

    private RailyardMain() {
    }

    public static void main(String... args) {
        Map<String, String> properties = System.getProperties().entrySet().stream()
                .collect(Collectors.toMap(e -> String.valueOf(e.getKey()), e -> String.valueOf(e.getValue()), (a, b) -> b));
        List<String> broken = StartupProblems.yamlProblems(StartupProblems.yamlFiles(Path.of(""), properties, System.getenv()));
        if (!broken.isEmpty()) {
            System.err.println("invalid Railyard configuration:");
            broken.forEach(line -> System.err.println("  " + line));
            System.exit(1);
        }
        // As the default exit handler, after Quarkus has printed the mistakes it found (it prints them only when no
        // handler is passed to run).
        BiConsumer<Integer, Throwable> exit = ApplicationLifecycleManager.getDefaultExitCodeHandler();
        ApplicationLifecycleManager.setDefaultExitCodeHandler((code, failure) -> {
            StartupProblems.suggestions(failure).forEach(System.err::println);
            exit.accept(code, failure);
        });
        Quarkus.run(args);
    }
}
