package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.FaultyStore;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 28, item 6: a short outage of the store in the middle of a runner's upload does not fail
 * the job. The burner's output PUT (direct mode: a presigned URL of the store) is slowed so that it
 * is in flight when the store goes away ({@link FaultyStore#down()}: every connection cut, new ones
 * refused; S3Proxy's own stop is graceful and would wait for the upload); 10 s later it is back on
 * the same address. The runner sends the file again from disk; the job completes, with one callback.
 */
@IntegrationTest
class UploadDuringOutageTest {
    private static final byte[] VTT = "WEBVTT\n\n00:00.000 --> 00:01.500\nhello\n".getBytes();

    @Test
    void theStoreStoppedFor10sMidUploadAndTheJobCompletesWithOneCallback() throws Exception {
        Path dir = TestServers.tempDir("mo-upload-outage");
        Path clip = TestMedia.generateClip(dir.resolve("clip.mp4"), 2, true);
        EmbeddedS3 store = TestServers.embeddedS3(dir.resolve("bucket"));
        store.createBucket("vidgen-render");
        AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET)).media("out1", "source", Files.readAllBytes(clip))
                .media("out1", "subtitles", VTT);
        // the burner's output goes up at 32 KiB/s: a few seconds in flight
        FaultyStore front = new FaultyStore(store.endpoint()).pace("outputs/", 32 * 1024);
        RunningApp app = null;
        try {
            Map<String, String> env = new HashMap<>();
            env.put("ROLES", "orchestrator,burner");
            env.put("NEXT_BASE_URL", next.base().toString());
            env.put("R2_S3_ENDPOINT", front.endpoint().toString());
            env.put("R2_ACCESS_KEY_ID", store.accessKey());
            env.put("R2_SECRET_ACCESS_KEY", store.secretKey());
            env.put("TRANSFER_MODE", "direct");
            env.put("ARTIFACTS_REDIRECT", "false");
            env.put("BURNER_X264_PRESET", "ultrafast");
            env.put("RUNNER_WORK_DIR", dir.resolve("work").toString());
            env.put("COMPLETION_POLL_INTERVAL_MS", "500");
            app = RunningApp.start(env);
            HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "out1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
            assertEquals(202, r.statusCode(), r.body());
            String jobId = (String) json(r).get("jobId");

            if (!Wait.atMost(Duration.ofSeconds(90), () -> front.writing.stream().anyMatch(k -> k.startsWith("outputs/")))) {
                // seen once in a full run (2026-12-08), not alone: say where the job was
                fail("the runner's upload was not in flight within 90 s; the job: " + app.get("/jobs/" + jobId).body()
                        + "; the runner: " + app.get("/runners/burner-ffmpeg/status/" + jobId).body());
            }
            front.down(); // the store stops: the upload in flight is cut off, new connections are refused
            Thread.sleep(10_000); // the outage itself, not a wait for an event
            front.up();

            RunningApp a = app;
            Wait.until("the app's callback", Duration.ofSeconds(120), () -> !next.acceptedFor(jobId).isEmpty());
            Map<String, Object> doc = a.awaitDeliveryRecorded(jobId);
            assertEquals("completed", doc.get("status"), "the job completes: " + doc);
            List<Map<String, Object>> callbacks = next.acceptedFor(jobId);
            assertEquals(1, callbacks.size(), "one callback");
            assertEquals("completed", callbacks.get(0).get("status"), callbacks.toString());
            Thread.sleep(1000); // nothing else comes after it
            assertEquals(1, next.attempts.stream().filter(c -> jobId.equals(c.get("jobId"))).count(), "one callback, no second one");
        } finally {
            if (app != null) {
                app.close();
            }
            front.close();
            store.close();
            next.close();
            TestServers.deleteRecursively(dir);
        }
    }
}
