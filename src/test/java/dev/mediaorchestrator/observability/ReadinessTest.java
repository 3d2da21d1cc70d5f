package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 acceptance, health: readiness follows the bucket (an S3 server the test stops and starts
 * again on the same port and directory) and the runners; liveness does not; a runner alone checks
 * itself.
 */
@IntegrationTest
class ReadinessTest {

    @Test
    void readinessFollowsTheBucketAndTheRunners() throws Exception {
        Path dir = TestServers.tempDir("obs-ready-s3");
        int port = TestServers.freePort();
        EmbeddedS3 s3 = EmbeddedS3.start(dir, port);
        AtomicInteger runnerStatus = new AtomicInteger(200);
        StubHttpServer runner = new StubHttpServer().on("/healthz",
                ex -> StubHttpServer.respond(ex, runnerStatus.get(), "application/json", "{\"ok\":true}".getBytes()));
        RunningApp app = null;
        try {
            s3.createBucket("obs-ready");
            app = RunningApp.start(Map.of("R2_S3_ENDPOINT", s3.endpoint().toString(), "R2_ACCESS_KEY_ID", s3.accessKey(),
                    "R2_SECRET_ACCESS_KEY", s3.secretKey(), "R2_BUCKET_NAME", "obs-ready", "CONTAINER_BASE_URL", runner.base().toString()));
            RunningApp a = app;
            assertReady(a, true);
            assertEquals("UP", check(a.get("/health/ready"), "bucket").get("status"));
            assertEquals("UP", check(a.get("/health/ready"), "runners").get("status"));

            s3.close();
            Wait.until("readiness to go DOWN without the bucket", Duration.ofSeconds(30), () -> status(a, "/health/ready") == 503);
            HttpResponse<String> down = a.get("/health/ready");
            assertEquals("DOWN", json(down).get("status"));
            Map<String, Object> bucket = check(down, "bucket");
            assertEquals("DOWN", bucket.get("status"));
            assertTrue(((String) bucket.get("message")).startsWith("the bucket cannot be reached"), bucket.toString());
            assertEquals("UP", check(down, "runners").get("status"), "only the bucket is down");
            assertEquals(200, status(a, "/health/live"), "the process is alive: no restart for a missing bucket");

            s3 = EmbeddedS3.starting(dir, port, s3.accessKey(), s3.secretKey()).await();
            Wait.until("readiness to come back with the bucket", Duration.ofSeconds(30), () -> status(a, "/health/ready") == 200);
            assertEquals("UP", check(a.get("/health/ready"), "bucket").get("status"));

            runnerStatus.set(503);
            Wait.until("readiness to go DOWN with a runner that is not well", Duration.ofSeconds(30), () -> status(a, "/health/ready") == 503);
            Map<String, Object> runners = check(a.get("/health/ready"), "runners");
            assertEquals("DOWN", runners.get("status"));
            assertTrue(((String) runners.get("message")).contains("answered 503"), runners.toString());
            runnerStatus.set(200);
            assertReady(a, true);
        } finally {
            if (app != null) {
                app.close();
            }
            s3.close();
            runner.close();
            TestServers.deleteRecursively(dir);
        }
    }

    @Test
    void aRunnerAloneChecksItself() throws Exception {
        Path work = TestServers.tempDir("obs-ready-runner");
        try (RunningApp burner = RunningApp.start(Map.of("ROLES", "burner", "RUNNER_WORK_DIR", work.toString()))) {
            assertReady(burner, true);
            List<String> names = checks(burner.get("/health/ready")).stream().map(c -> (String) c.get("name")).toList();
            assertTrue(names.contains("runner:burner-ffmpeg"), names.toString());
            assertTrue(!names.contains("bucket") && !names.contains("runners"), "a runner has no bucket and no runners: " + names);
            assertEquals(200, status(burner, "/health/live"));
        }
        try (RunningApp broken = RunningApp.start(Map.of("ROLES", "burner", "RUNNER_WORK_DIR", work.toString(),
                "FFMPEG_BIN", work.resolve("no-such-ffmpeg").toString()))) {
            assertReady(broken, false);
            Map<String, Object> self = check(broken.get("/health/ready"), "runner:burner-ffmpeg");
            assertEquals("DOWN", self.get("status"));
            assertTrue(((String) self.get("message")).contains("no-such-ffmpeg not found"), self.toString());
            assertEquals(200, status(broken, "/health/live"));
        } finally {
            TestServers.deleteRecursively(work);
        }
    }

    private static void assertReady(RunningApp app, boolean ready) throws Exception {
        HttpResponse<String> r = app.get("/health/ready");
        assertEquals(ready ? 200 : 503, r.statusCode(), r.body());
        assertEquals(ready ? "UP" : "DOWN", json(r).get("status"));
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    }

    private static int status(RunningApp app, String path) {
        try {
            return app.get(path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> checks(HttpResponse<String> r) {
        return (List<Map<String, Object>>) json(r).get("checks");
    }

    private static Map<String, Object> check(HttpResponse<String> r, String name) {
        return checks(r).stream().filter(c -> name.equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + r.body()));
    }
}
