package dev.mediaorchestrator;

import dev.mediaorchestrator.runner.RunnerConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The properties the roles give the route files are exactly the ones the route files read: each
 * {@code {{name}}} of a route file is given (by the role whose file it is), and each one given is
 * read by a route file.
 */
class RoutePropertiesTest {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Za-z0-9_.]+)}}");

    /** The placeholders of the route files whose names start with {@code prefix}. */
    private static Set<String> read(String prefix) throws Exception {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/routes"))) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                Matcher m = PLACEHOLDER.matcher(Files.readString(p));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    @Test
    void theOrchestratorGivesWhatItsRouteFilesRead() throws Exception {
        Config config = Config.fromEnv(Map.of());
        assertEquals(read("orchestrator-"), OrchestratorBeans.routeProperties(config).keySet());
        assertEquals(Set.of(), read("common-"), "the files of every role read no property");
        assertEquals(Set.of(), read("local-app"));
    }

    @Test
    void eachRunnerGivesWhatItsRouteFileReads() throws Exception {
        for (String role : new String[]{"burner", "downloader"}) {
            Config alone = Config.fromEnv(Map.of("ROLES", role, "JOB_CALLBACK_HMAC_SECRET", "s".repeat(32)));
            RunnerConfig rc = RunnerConfig.fromEnv(Map.of("ROLES", role));
            assertEquals(read(role + "-"), RunnerBeans.routeProperties(alone, rc).keySet(), role);
        }
        Set<String> both = new TreeSet<>(read("burner-"));
        both.addAll(read("downloader-"));
        Config allInOne = Config.fromEnv(Map.of());
        assertEquals(both, RunnerBeans.routeProperties(allInOne, RunnerConfig.fromEnv(Map.of())).keySet(), "all in one");
    }
}
