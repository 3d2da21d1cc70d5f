package dev.mediaorchestrator.cli;

import dev.mediaorchestrator.observability.BucketHealthCheck;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar media-orchestrator.jar check} (issue 27): with the service's environment it
 * passes on a deployment that is wired right — the demo's (all roles, the embedded store) and one
 * on an S3 store with separate runners and an app — and each check fails, with a fix naming the
 * setting, when that one setting is wrong: the credentials, the public endpoint (dead, or another
 * store), a runner URL, a runner without its tool, the app's URL, the orchestrator's URL, the clock.
 * No secret ever appears in the report.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeploymentCheckTest {
    private static final Pattern LINE = Pattern.compile("(?m)^(ok|warn|FAIL|skip) +([^:]+):");

    private Path dir;
    private EmbeddedS3 s3;
    private EmbeddedS3 otherS3;
    private StubHttpServer runner;
    private StubHttpServer appServer;
    private RunningApp app;

    /** An S3 store as the bucket, a runner and an app (stand-ins), and the orchestrator wired to them. */
    @BeforeAll
    void start() throws Exception {
        dir = TestServers.tempDir("mo-check");
        s3 = TestServers.embeddedS3(dir.resolve("store"));
        s3.createBucket("vidgen-render");
        otherS3 = TestServers.embeddedS3(dir.resolve("other-store"));
        otherS3.createBucket("vidgen-render");
        runner = new StubHttpServer();
        runner.answer("/healthz", 200, "{\"ok\":true,\"engine\":\"burner-ffmpeg\",\"active\":0,\"maxConcurrency\":1,"
                + "\"tools\":{\"ffmpeg\":\"5.1.6\",\"ffprobe\":\"5.1.6\"}}");
        runner.answer("/no-ffmpeg/healthz", 200, "{\"ok\":true,\"tools\":{\"ffmpeg\":\"missing\",\"ffprobe\":\"5.1.6\"}}");
        runner.answer("/original/render", 202, "{}");
        appServer = new StubHttpServer();
        appServer.answer("/", 404, "{\"error\":\"not found\"}");
        app = RunningApp.start(Map.of("R2_S3_ENDPOINT", s3.endpoint().toString(),
                // the same store by another name, as the app on the host reaches MinIO in compose
                "R2_S3_PUBLIC_ENDPOINT", "http://localhost:" + s3.endpoint().getPort(),
                "R2_ACCESS_KEY_ID", s3.accessKey(), "R2_SECRET_ACCESS_KEY", s3.secretKey(),
                "CONTAINER_BASE_URL", runner.base().toString(), "NEXT_BASE_URL", appServer.base().toString()));
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[]{app, runner, appServer, s3, otherS3}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // the next one still
            }
        }
        TestServers.deleteRecursively(dir);
    }

    @Test
    void aDeploymentWiredRightPasses() {
        Report r = check(app.env, Clock.systemUTC());
        assertEquals(0, r.status, r.text);
        assertEquals(Set.of(), r.failed(), r.text);
        assertEquals(Set.of("config", "bucket", "urls for runners", "urls for the app", "clock", "orchestrator for runners and the app",
                "runner burner-ffmpeg,media-downloader,renderer-remotion", "app"), r.passed(), r.text);
        assertTrue(r.text.contains("ffmpeg 5.1.6, ffprobe 5.1.6"), "the runner's tool versions: " + r.text);
        assertTrue(r.text.contains("http://localhost:" + s3.endpoint().getPort() + " (R2_S3_PUBLIC_ENDPOINT)"), r.text);
        assertTrue(r.text.endsWith("all checks passed (8)\n"), r.text);
        r.assertNoSecret();
    }

    @Test
    void theDemosConfigurationPasses() throws Exception {
        // scripts/demo: all roles in one process, the embedded store, no NEXT_BASE_URL (local mode)
        try (RunningApp demo = RunningApp.start(Map.of("ROLES", "orchestrator,burner,downloader"))) {
            Report r = check(demo.env, Clock.systemUTC());
            assertEquals(0, r.status, r.text);
            assertEquals(Set.of("config", "bucket", "clock", "orchestrator for runners and the app", "runner burner-ffmpeg,renderer-remotion",
                    "runner media-downloader", "app"), r.passed(), r.text);
            assertTrue(r.text.contains("the embedded store inside the service"), r.text);
            r.assertNoSecret();
        }
    }

    @Test
    void wrongCredentialsFailTheBucketAndSayWhichSettings() {
        Report r = check(with("R2_SECRET_ACCESS_KEY", "not-the-secret-key"), Clock.systemUTC());
        assertEquals(1, r.status, r.text);
        assertEquals(Set.of("bucket"), r.failed(), r.text);
        assertTrue(r.fixOf("bucket").contains("R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY"), r.text);
        assertEquals(Set.of("urls for runners", "urls for the app", "clock"), r.skipped(), r.text);
        assertFalse(r.text.contains("not-the-secret-key"), "the wrong secret is not printed either: " + r.text);
        r.assertNoSecret();
    }

    @Test
    void aPublicEndpointThatDoesNotResolveFailsTheAppsUrls() {
        Report r = check(with("R2_S3_PUBLIC_ENDPOINT", "http://r2-public.invalid:9000"), Clock.systemUTC());
        assertEquals(1, r.status, r.text);
        assertEquals(Set.of("urls for the app"), r.failed(), r.text);
        assertTrue(r.fixOf("urls for the app").contains("the host of R2_S3_PUBLIC_ENDPOINT is not known here"), r.text);
        assertTrue(r.passed().contains("urls for runners"), r.text);
    }

    /**
     * compose: the app on the host reaches the store as localhost:9000, which the orchestrator's
     * container cannot: from there the check says what to confirm on the app's side, and passes.
     */
    @Test
    void aLoopbackPublicEndpointThatDoesNotAnswerFromHereIsToBeConfirmedWhereTheAppRuns() {
        Report r = check(with("R2_S3_PUBLIC_ENDPOINT", "http://localhost:" + TestServers.freePort()), Clock.systemUTC());
        assertEquals(0, r.status, r.text);
        assertEquals(Set.of("urls for the app"), r.with("warn"), r.text);
        assertTrue(r.text.contains("to do: confirm from where the app runs"), r.text);
        assertTrue(r.text.endsWith("all checks passed (8, 1 warning to confirm elsewhere)\n"), r.text);
    }

    @Test
    void aPublicEndpointOfAnotherStoreFailsTheAppsUrls() {
        Report r = check(with("R2_S3_PUBLIC_ENDPOINT", otherS3.endpoint().toString()), Clock.systemUTC());
        assertEquals(1, r.status, r.text);
        assertEquals(Set.of("urls for the app"), r.failed(), r.text);
        assertTrue(r.text.contains("403"), r.text);
        assertTrue(r.fixOf("urls for the app").contains("R2_S3_PUBLIC_ENDPOINT must be the very address"), r.text);
    }

    @Test
    void aDeadRunnerUrlFailsThatRunner() {
        Map<String, String> env = with("CONTAINER_BASE_URL_DOWNLOADER", "http://127.0.0.1:" + TestServers.freePort());
        Report r = check(env, Clock.systemUTC());
        assertEquals(1, r.status, r.text);
        assertEquals(Set.of("runner media-downloader"), r.failed(), r.text);
        assertTrue(r.fixOf("runner media-downloader").startsWith("CONTAINER_BASE_URL_DOWNLOADER must be the URL"), r.text);
        assertTrue(r.fixOf("runner media-downloader").contains("nothing answers at the host and port of CONTAINER_BASE_URL_DOWNLOADER"), r.text);
        assertTrue(r.passed().contains("runner burner-ffmpeg,renderer-remotion"), r.text);
    }

    @Test
    void aRunnerWithoutFfmpegFailsAndOneWithoutHealthzPasses() {
        Map<String, String> env = with("CONTAINER_BASE_URL", runner.base() + "/no-ffmpeg");
        env.put("CONTAINER_BASE_URL_DOWNLOADER", runner.base() + "/original");
        Report r = check(env, Clock.systemUTC());
        assertEquals(Set.of("runner burner-ffmpeg,renderer-remotion"), r.failed(), r.text);
        assertTrue(r.text.contains("lacks ffmpeg"), r.text);
        assertTrue(r.text.contains("without /healthz (HTTP 404; an original container?)"), r.text);
    }

    @Test
    void aDeadAppUrlFailsTheApp() {
        Report r = check(with("NEXT_BASE_URL", "http://127.0.0.1:" + TestServers.freePort()), Clock.systemUTC());
        assertEquals(Set.of("app"), r.failed(), r.text);
        assertTrue(r.fixOf("app").startsWith("NEXT_BASE_URL must be the URL by which the orchestrator reaches the app"), r.text);
    }

    @Test
    void anOrchestratorUrlTheRunnersCannotUseFails() {
        Report r = check(with("ORCHESTRATOR_BASE_URL_CONTAINER", "http://127.0.0.1:" + TestServers.freePort()), Clock.systemUTC());
        assertEquals(Set.of("orchestrator for runners"), r.failed(), r.text);
        assertTrue(r.passed().contains("orchestrator for the app"), r.text);
        assertTrue(r.fixOf("orchestrator for runners").contains("ORCHESTRATOR_BASE_URL_CONTAINER"), r.text);
    }

    @Test
    void aClockFiveMinutesAheadFails() {
        Report r = check(app.env, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(5)));
        assertEquals(1, r.status, r.text);
        assertEquals(Set.of("clock"), r.failed(), r.text);
        Matcher m = Pattern.compile("clock is (\\d+) s ahead of the bucket's Date").matcher(r.text);
        assertTrue(m.find(), r.text);
        assertTrue(Math.abs(Integer.parseInt(m.group(1)) - 300) <= 5, r.text);
        assertTrue(r.fixOf("clock").startsWith("synchronise the clock"), r.text);
    }

    @Test
    void theEmbeddedStoreOfAServiceThatIsNotRunningFails() {
        Map<String, String> env = new HashMap<>(Map.of("PORT", String.valueOf(TestServers.freePort()), "HOST", "127.0.0.1",
                "DATA_DIR", dir.resolve("nothing-runs-here").toString()));
        Report r = check(env, Clock.systemUTC());
        assertEquals(1, r.status, r.text);
        assertTrue(r.failed().containsAll(Set.of("bucket", "orchestrator for runners and the app")), r.text);
        assertTrue(r.fixOf("bucket").startsWith("start the service with this same environment"), r.text);
        assertTrue(r.fixOf("runner media-downloader").startsWith("start the service (its own runners answer under /runners/…)"), r.text);
    }

    @Test
    void aRunnerAloneChecksItsTools() {
        Map<String, String> env = Map.of("ROLES", "burner", "JOB_CALLBACK_HMAC_SECRET", RunningApp.SECRET);
        Report r = check(env, Clock.systemUTC());
        assertEquals(0, r.status, r.text);
        assertEquals(Set.of("config", "tools of burner-ffmpeg"), r.passed(), r.text);
        assertTrue(r.text.matches("(?s).*tools of burner-ffmpeg: ffmpeg \\d\\S*, ffprobe \\d.*"), r.text);
        Map<String, String> without = new HashMap<>(env);
        without.put("FFMPEG_BIN", dir.resolve("no-such-ffmpeg").toString());
        Report missing = check(without, Clock.systemUTC());
        assertEquals(1, missing.status, missing.text);
        assertTrue(missing.text.contains("FAIL  tools of burner-ffmpeg: missing ffmpeg"), missing.text);
    }

    @Test
    void aMalformedSettingIsExitStatus2NamingIt() {
        Report r = check(with("JOB_TTL_SECONDS", "one day"), Clock.systemUTC());
        assertEquals(2, r.status, r.text);
        assertTrue(r.text.startsWith("FAIL  config: JOB_TTL_SECONDS: expected a positive whole number"), r.text);
    }

    /** The readiness check says what to fix too: /health/ready shows it as the bucket's fix detail. */
    @Test
    void theBucketReadinessCheckNamesTheSettingsToFix() {
        try (Storage storage = new Storage(s3.endpoint(), s3.accessKey(), "not-the-secret-key", "auto", "vidgen-render")) {
            HealthCheck.Result r = new BucketHealthCheck(storage, Duration.ofSeconds(10)).call();
            assertEquals(HealthCheck.State.DOWN, r.getState());
            assertTrue(String.valueOf(r.getDetails().get("fix")).contains("R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY"), r.getDetails().toString());
        }
        try (Storage storage = new Storage(s3.endpoint(), s3.accessKey(), s3.secretKey(), "auto", "no-such-bucket")) {
            HealthCheck.Result r = new BucketHealthCheck(storage, Duration.ofSeconds(10)).call();
            assertTrue(String.valueOf(r.getDetails().get("fix")).contains("there is no bucket no-such-bucket"), r.getDetails().toString());
        }
    }

    private Map<String, String> with(String name, String value) {
        Map<String, String> env = new HashMap<>(app.env);
        env.put(name, value);
        return env;
    }

    private Report check(Map<String, String> env, Clock clock) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = new DeploymentCheck(env, new PrintStream(bytes, true, StandardCharsets.UTF_8), clock).run();
        return new Report(status, bytes.toString(StandardCharsets.UTF_8));
    }

    private final class Report {
        final int status;
        final String text;

        Report(int status, String text) {
            this.status = status;
            this.text = text;
        }

        Set<String> with(String state) {
            Set<String> names = new TreeSet<>();
            Matcher m = LINE.matcher(text);
            while (m.find()) {
                if (m.group(1).equals(state)) {
                    names.add(m.group(2));
                }
            }
            return names;
        }

        Set<String> passed() {
            return with("ok");
        }

        Set<String> failed() {
            return with("FAIL");
        }

        Set<String> skipped() {
            return with("skip");
        }

        /** The fix line after the failed check {@code name}. */
        String fixOf(String name) {
            List<String> lines = text.lines().toList();
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (lines.get(i).startsWith("FAIL  " + name + ":") && lines.get(i + 1).startsWith("      fix: ")) {
                    return lines.get(i + 1).substring("      fix: ".length());
                }
            }
            throw new AssertionError("no fix for " + name + " in:\n" + text);
        }

        void assertNoSecret() {
            for (String secret : new String[]{s3.secretKey(), RunningApp.SECRET, s3.accessKey()}) {
                assertFalse(text.contains(secret), "a secret in the report:\n" + text);
            }
            assertFalse(text.contains("X-Amz-Signature") || text.contains("X-Amz-Credential"), "a presigned URL in the report:\n" + text);
        }
    }
}
