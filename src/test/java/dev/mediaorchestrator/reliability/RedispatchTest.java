package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22: a runner that takes a job and then forgets it (its {@code /status} says 404, as a
 * restarted runner would) does not lose the job: after the probes it is dispatched again, to any
 * runner, up to {@code JOB_MAX_ATTEMPTS} (2 by default); the second run completes it and the job
 * document and the callback say {@code runs: 2}. With {@code JOB_MAX_ATTEMPTS=1} the job fails as before.
 */
@IntegrationTest
class RedispatchTest {

    /** A runner that forgets its first job and does the second (uploads the output it was given a URL for). */
    private static StubHttpServer forgetfulRunner(AtomicInteger renders, ExecutorService background) {
        StubHttpServer runner = new StubHttpServer();
        runner.on("/render", ex -> {
            Map<String, Object> payload = Json.parseObject(runner.record(ex).body());
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            if (renders.incrementAndGet() >= 2) {
                background.submit(() -> Put.put(URI.create((String) payload.get("outputPutUrl")), "video/mp4", new byte[2000]));
            }
        });
        // the first run is forgotten (404); the second is known while it uploads, so a slow upload is
        // not taken for a second loss
        runner.on("/status/", ex -> {
            runner.record(ex);
            if (renders.get() < 2) {
                StubHttpServer.respond(ex, 404, "application/json", "{\"error\":\"not found\"}".getBytes());
            } else {
                StubHttpServer.respond(ex, 200, "application/json", "{\"status\":\"running\",\"progress\":0.5}".getBytes());
            }
        });
        return runner;
    }

    /** A burner job whose inputs the app serves; returns its id. */
    private static String submit(RunningApp app, AppStandIn next, String mediaId) throws Exception {
        next.media(mediaId, "source", "video".getBytes()).media(mediaId, "subtitles", "WEBVTT\n".getBytes());
        var r = app.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    private static Map<String, Object> awaitCallback(AppStandIn next, String jobId) {
        Wait.until("the app's callback", Duration.ofSeconds(60), () -> !next.acceptedFor(jobId).isEmpty());
        return next.acceptedFor(jobId).get(0);
    }

    @Test
    void aJobItsRunnerForgotIsDispatchedAgainAndCompletes() throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        AtomicInteger renders = new AtomicInteger();
        try (AppStandIn next = new AppStandIn(new dev.mediaorchestrator.common.Hmac(RunningApp.SECRET));
             StubHttpServer runner = forgetfulRunner(renders, background);
             RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                     "RUNNER_PROBE_SECONDS", "1", "COMPLETION_POLL_INTERVAL_MS", "300", "TRANSFER_MODE", "direct"))) {
            String jobId = submit(app, next, "rd1");
            Map<String, Object> cb = awaitCallback(next, jobId);
            assertEquals("completed", cb.get("status"), cb.toString());
            assertEquals(2, ((Number) cb.get("runs")).intValue());
            assertEquals(2, renders.get(), "dispatched twice");
            List<StubHttpServer.Recorded> posts = runner.requests("/render");
            assertTrue(posts.stream().allMatch(p -> Json.parseObject(p.body()).get("jobId").equals(jobId)), "the same job both times");
            assertEquals(2, ((Number) json(app.get("/jobs/" + jobId)).get("runs")).intValue());
        } finally {
            background.shutdownNow();
        }
    }

    @Test
    void withOneAttemptALostJobFails() throws Exception {
        ExecutorService background = Executors.newSingleThreadExecutor();
        AtomicInteger renders = new AtomicInteger();
        try (AppStandIn next = new AppStandIn(new dev.mediaorchestrator.common.Hmac(RunningApp.SECRET));
             StubHttpServer runner = forgetfulRunner(renders, background);
             RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                     "RUNNER_PROBE_SECONDS", "1", "JOB_MAX_ATTEMPTS", "1"))) {
            String jobId = submit(app, next, "rd2");
            Map<String, Object> cb = awaitCallback(next, jobId);
            assertEquals("failed", cb.get("status"));
            assertTrue(((String) cb.get("error")).startsWith("runner lost the job"), cb.toString());
            assertEquals(1, renders.get());
        } finally {
            background.shutdownNow();
        }
    }
}
