package dev.mediaorchestrator.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * The one mark of an integration test: a class that starts the real service (its HTTP server, the
 * embedded S3 server), a tool (ffmpeg, yt-dlp, promtool) or a socket. {@code mvn test} leaves these
 * out (the fast layer); {@code mvn verify} runs them. A class whose name ends in {@code IT} is one
 * of them that runs the packaged jar as a process (killed, restarted): failsafe runs it after
 * {@code package}. {@code IntegrationTestConventionTest} holds every test class to this.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("integration")
public @interface IntegrationTest {
}
