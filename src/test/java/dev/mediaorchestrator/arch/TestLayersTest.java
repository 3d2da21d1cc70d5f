package dev.mediaorchestrator.arch;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.mediaorchestrator.support.IntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.lang.ProcessBuilder;
import java.net.ServerSocket;

/**
 * One convention for the two test layers (README, "Tests"): a class that starts the service, a
 * tool, a process or a socket is marked {@link IntegrationTest} and nothing else marks it; a class
 * named {@code *IT} (the packaged jar, run by failsafe) is one of them. The fast layer
 * ({@code mvn test}) is what is left: no tools, no sockets.
 */
class TestLayersTest {
    private static final JavaClasses TESTS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS)
            .importPackages("dev.mediaorchestrator");
    /** What only an integration test may use: the service, a server socket, a process, a tool. */
    private static final Set<String> INTEGRATION_ONLY = Set.of("dev.mediaorchestrator.support.RunningApp",
            "dev.mediaorchestrator.support.StubHttpServer", "dev.mediaorchestrator.deploy.Promtool",
            "com.sun.net.httpserver.HttpServer", "ServerSocket", "ProcessBuilder");

    @Test
    void everyTestClassIsInOneLayerByOneMark() {
        List<String> wrong = new ArrayList<>();
        int integration = 0;
        for (JavaClass c : TESTS) {
            if (c.isNestedClass() || c.isAnnotation() || !hasTests(c)) {
                continue;
            }
            boolean marked = c.isAnnotatedWith(IntegrationTest.class);
            integration += marked ? 1 : 0;
            if (c.isAnnotatedWith(Tag.class)) {
                wrong.add(c.getSimpleName() + " is tagged by hand: mark it @IntegrationTest");
            }
            if (c.getSimpleName().endsWith("IT") && !marked) {
                wrong.add(c.getSimpleName() + " runs the packaged jar but is not @IntegrationTest");
            }
            if (!marked) {
                usesOfIntegrationOnly(c).forEach(used -> wrong.add(c.getSimpleName() + " uses " + used + " but is not @IntegrationTest"));
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(integration > 50, "the integration layer was found (" + integration + " classes)");
    }

    /** Whether the class or one of its nested classes declares a test method. */
    private static boolean hasTests(JavaClass c) {
        return TESTS.stream().filter(t -> t.equals(c) || t.getName().startsWith(c.getName() + "$"))
                .anyMatch(t -> t.getMethods().stream().anyMatch(m -> m.isAnnotatedWith(Test.class)
                        || m.isAnnotatedWith("org.junit.jupiter.params.ParameterizedTest")));
    }

    /** The integration-only classes the class (with its nested and anonymous classes) depends on. */
    private static Set<String> usesOfIntegrationOnly(JavaClass c) {
        Set<String> used = new TreeSet<>();
        TESTS.stream().filter(t -> t.equals(c) || t.getName().startsWith(c.getName() + "$"))
                .flatMap(t -> t.getDirectDependenciesFromSelf().stream())
                .map(d -> d.getTargetClass().getName())
                .filter(INTEGRATION_ONLY::contains)
                .forEach(used::add);
        return used;
    }
}
