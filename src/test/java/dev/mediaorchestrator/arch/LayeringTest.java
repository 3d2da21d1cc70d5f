package dev.mediaorchestrator.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import java.lang.reflect.AccessibleObject;

/**
 * The package layering drawn in docs/architecture.md: no cycles between the packages, and the
 * domain packages do not know the observability package (it listens to them through the
 * interfaces they declare).
 */
class LayeringTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.mediaorchestrator");

    @Test
    void noCyclesBetweenPackages() {
        slices().matching("dev.mediaorchestrator.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void theDomainDoesNotKnowObservability() {
        noClasses().that().resideInAnyPackage("..orchestrator..", "..runner..", "..burner..", "..downloader..", "..storage..", "..common..")
                .should().dependOnClassesThat().resideInAPackage("..observability..")
                .check(CLASSES);
    }

    /** Camel and Vert.x are used through their public API: no reflection into their private fields. */
    @Test
    void noReflectionIntoPrivateFields() {
        noClasses().should().callMethod(AccessibleObject.class, "setAccessible", boolean.class)
                .orShould().callMethod(Class.class, "getDeclaredField", String.class)
                .check(CLASSES);
    }
}
