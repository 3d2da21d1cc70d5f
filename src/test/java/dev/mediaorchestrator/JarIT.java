package dev.mediaorchestrator;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged jar, run as an operator would run it. (Start-up time is measured by bench/startup.) */
@IntegrationTest
class JarIT {
    private static final Path JAR = Path.of("target/media-orchestrator.jar");

    @Test
    void jarStartsOnTheEmbeddedStoreAndAnswers404ForAnUnknownJob() throws Exception {
        Path dir = TestServers.tempDir("mo-jar");
        int port = TestServers.freePort();
        Path log = dir.resolve("out.log");
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("R2_") || k.equals("JOB_CALLBACK_HMAC_SECRET") || k.equals("ROLES"));
        pb.environment().put("PORT", String.valueOf(port));
        Process p = pb.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = null;
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline && p.isAlive()) {
                try {
                    r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs/x"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 503) {
                        break; // 503: listening, routes not added yet
                    }
                    Thread.sleep(50);
                } catch (IOException notYet) {
                    Thread.sleep(50);
                }
            }
            assertTrue(r != null, "no answer; log:\n" + Files.readString(log));
            assertEquals(404, r.statusCode());
            assertEquals("{\"error\":\"not found\"}", r.body());
            Path secret = dir.resolve("data/secret");
            assertTrue(Files.exists(secret), "a local secret was generated");
            String value = Files.readString(secret).trim();
            String out = Files.readString(log);
            assertTrue(out.contains(secret.getFileName().toString()), "the log names the secret's path");
            assertFalse(out.contains(value), "the log never contains the secret");
            assertTrue(Files.isDirectory(dir.resolve("data/bucket/vidgen-render")), "embedded bucket under ./data/bucket");
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            TestServers.deleteRecursively(dir);
        }
    }

    @Test
    void malformedConfigurationStopsStartupNamingTheVariable() throws Exception {
        Path dir = TestServers.tempDir("mo-jar");
        try {
            ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString())
                    .directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().put("JOB_TTL_SECONDS", "one day");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains("JOB_TTL_SECONDS: expected a positive whole number, got 'one day'"), out);
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    @Test
    void refusesToListenOnAllInterfacesWithoutASecret() throws Exception {
        Path dir = TestServers.tempDir("mo-jar");
        try {
            ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString())
                    .directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().remove("JOB_CALLBACK_HMAC_SECRET");
            pb.environment().put("HOST", "0.0.0.0");
            pb.environment().put("PORT", String.valueOf(TestServers.freePort()));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains("JOB_CALLBACK_HMAC_SECRET: required when binding to 0.0.0.0"), out);
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    /** {@code --help}, {@code -h} and {@code help} print the usage to stdout and exit 0; an unknown argument is still an error (2). */
    @Test
    void helpPrintsTheUsageAndAnUnknownArgumentIsAnError() throws Exception {
        Path dir = TestServers.tempDir("mo-jar");
        try {
            for (String arg : new String[]{"--help", "-h", "help"}) {
                Path err = dir.resolve("err.txt");
                Process p = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString(), arg)
                        .directory(dir.toFile()).redirectError(err.toFile()).start();
                String out = new String(p.getInputStream().readAllBytes());
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), arg + ": " + out + Files.readString(err));
                assertTrue(out.startsWith("usage: java -jar media-orchestrator.jar"), arg + ": " + out);
                for (String command : new String[]{"serve", "check", "submit", "status", "help"}) {
                    assertTrue(out.contains("media-orchestrator.jar " + command), arg + ": the usage names " + command + ": " + out);
                }
                assertEquals("", Files.readString(err), arg + ": nothing on stderr");
            }
            Process p = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString(), "--frobnicate")
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.startsWith("unknown argument: --frobnicate\nusage: "), out);
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    /** {@code check} runs from the jar: with nothing running on its settings it reports the failures and exits 1. */
    @Test
    void checkReportsAndExitsWithItsStatus() throws Exception {
        Path dir = TestServers.tempDir("mo-jar");
        try {
            ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString(), "check")
                    .directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("R2_") || k.startsWith("CONTAINER_BASE_URL") || k.equals("ROLES"));
            pb.environment().put("PORT", String.valueOf(TestServers.freePort()));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.startsWith("ok    config: the settings parse"), out);
            assertTrue(out.contains("\nFAIL  bucket: the embedded store inside the service"), out);
            assertTrue(out.contains("checks failed"), out);
            assertFalse(Files.exists(dir.resolve("data")), "check writes nothing (no secret, no store): " + out);
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    /** LANG=C (no LC_*): the JVM would hand ffmpeg and yt-dlp ASCII only. A runner refuses, naming LANG; the orchestrator alone runs. */
    @Test
    void underLangCARunnerRefusesToStartNamingLang() throws Exception {
        Path dir = TestServers.tempDir("mo-jar");
        try {
            ProcessBuilder pb = new ProcessBuilder("java", "-XshowSettings:properties", "-jar", JAR.toAbsolutePath().toString())
                    .directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG") || k.equals("LANGUAGE") || k.startsWith("R2_"));
            pb.environment().put("LANG", "C");
            pb.environment().put("PORT", String.valueOf(TestServers.freePort()));
            pb.environment().put("ROLES", "burner");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertTrue(out.contains("sun.jnu.encoding = ANSI_X3.4-1968"), "the JVM really runs in an ASCII locale:\n" + out);
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains("configuration error: LANG: the locale's character set is ANSI_X3.4-1968, not UTF-8"), out);
            assertTrue(out.contains("LANG=C.UTF-8"), "says what to do: " + out);
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }
}
