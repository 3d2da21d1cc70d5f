package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20: what a poll costs the bucket, counted by the service's own meters
 * ({@code mediaorch_output_checks_total}, {@code mediaorch_state_reads_total}). Polling a running
 * job as fast as a client can (1,000 GETs) checks its outputs at most once per {@code COMPLETION_POLL_INTERVAL_MS}
 * (plus the timer's own checks); polling a made-up id reads the bucket at most once per 2 s.
 */
@IntegrationTest
class PollingCostTest {

    @Test
    void pollsShareTheBucketChecks() throws Exception {
        try (AppStandIn next = new AppStandIn(new dev.mediaorchestrator.common.Hmac(RunningApp.SECRET));
             StubHttpServer runner = new StubHttpServer().answer("/render", 202, "{}").answer("/status/", 200, "{\"status\":\"running\"}");
             RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                     "COMPLETION_POLL_INTERVAL_MS", "1000"))) {
            next.media("pc1", "source", "video".getBytes()).media("pc1", "subtitles", "WEBVTT\n".getBytes());
            var r = app.postSigned("/jobs", Map.of("mediaId", "pc1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
            String jobId = (String) json(r).get("jobId");

            double checksBefore = app.metric("mediaorch_output_checks_total");
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                assertEquals(200, app.get("/jobs/" + jobId).statusCode());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double checks = app.metric("mediaorch_output_checks_total") - checksBefore;
            // one per second from the polls, one per second from the timer, and one of each in flight at the edges
            assertTrue(checks <= 2 * Math.ceil(seconds) + 2, checks + " bucket checks for 1000 polls in " + seconds + " s");

            String unknown = "job_" + "q".repeat(26);
            double readsBefore = app.metric("mediaorch_state_reads_total", "found", "false");
            t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                assertEquals(404, app.get("/jobs/" + unknown).statusCode());
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            double reads = app.metric("mediaorch_state_reads_total", "found", "false") - readsBefore;
            assertTrue(reads >= 1 && reads <= Math.ceil(seconds / 2) + 1, reads + " bucket reads for 1000 polls of an unknown id in " + seconds + " s");
        }
    }
}
