package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.testutil.TestMedia;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * #31: a job's report that is still waiting to be sent when a newer report of the same phase is
 * queued goes out as one callback with the newer state (and the outputs of both), instead of one
 * round trip to the orchestrator each: at the end of a download the {@code uploading 0.95} report
 * and the mp3's provenance report queue up behind the {@code uploading} callback. A phase change,
 * a terminal callback, and a report already on its way are never merged.
 */
@IntegrationTest
class RunnerCallbacksMergeTest {

    /** The receiver holds the first callback until the test has queued the others. */
    private static final class HeldReceiver implements AutoCloseable {
        final StubHttpServer server = new StubHttpServer();
        final CountDownLatch firstArrived = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        HeldReceiver() {
            server.on("/cb", ex -> {
                server.record(ex);
                if (firstArrived.getCount() > 0) {
                    firstArrived.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes());
            });
        }

        List<Map<String, Object>> received() {
            return server.requests("/cb").stream().map(r -> Json.parseObject(r.body())).toList();
        }

        @Override
        public void close() {
            server.close();
        }
    }

    private static RunnerJobs jobs(TestMedia.TempDir dir) {
        RunnerConfig rc = RunnerConfig.fromEnv(Map.of("RUNNER_WORK_DIR", dir.path().toString(), "RUNNER_MAX_CONCURRENCY", "1"));
        return new RunnerJobs("media-downloader", rc, new RunnerCallbacks(new SignedHttp(new Hmac("secret")), Clock.systemUTC(), 10),
                new JobProcessExecutor(), Clock.systemUTC());
    }

    private static RunnerJob accept(RunnerJobs jobs, HeldReceiver receiver, String jobId) throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            return jobs.accept(Map.of("jobId", jobId, "callbackUrl", receiver.server.base() + "/cb"), List.of(), new DefaultExchange(camel));
        }
    }

    @Test
    void aWaitingReportOfThePhaseIsMergedIntoTheNextOne() throws Exception {
        try (HeldReceiver receiver = new HeldReceiver(); TestMedia.TempDir dir = TestMedia.tempDir("runner-merge")) {
            RunnerJobs jobs = jobs(dir);
            RunnerJob job = accept(jobs, receiver, "job_merge");
            jobs.phase(job, "uploading", "uploading", 0.9, Map.of("metadata", Map.of("title", "t")));
            assertTrue(receiver.firstArrived.await(10, TimeUnit.SECONDS), "the uploading callback is on its way");
            // while the orchestrator answers it: the audio's phase report, then the audio's provenance
            jobs.phase(job, "uploading", "uploading", 0.95);
            jobs.uploaded(job, "audio", "downloads/m/job_merge/audio.mp3", "audio/mpeg", new Transfers.Uploaded(1234, "ab".repeat(32)));
            receiver.release.countDown();
            jobs.finish(job);

            List<Map<String, Object>> got = receiver.received();
            assertEquals(2, got.size(), "one callback for the two waiting reports: " + got);
            assertEquals(Map.of("title", "t"), got.get(0).get("metadata"));
            assertNull(got.get(0).get("outputs"));
            Map<?, ?> merged = got.get(1);
            assertEquals("uploading", merged.get("status"));
            assertEquals(0.95, ((Number) merged.get("progress")).doubleValue(), 1e-9);
            Map<?, ?> audio = (Map<?, ?>) ((Map<?, ?>) merged.get("outputs")).get("audio");
            assertEquals("ab".repeat(32), audio.get("sha256"));
            assertEquals(1234, ((Number) audio.get("size")).intValue());
        }
    }

    @Test
    void outputsOfWaitingReportsAreAllKept() throws Exception {
        try (HeldReceiver receiver = new HeldReceiver(); TestMedia.TempDir dir = TestMedia.tempDir("runner-merge")) {
            RunnerJobs jobs = jobs(dir);
            RunnerJob job = accept(jobs, receiver, "job_merge_outputs");
            jobs.phase(job, "running", "extracting_audio", 0.8);
            assertTrue(receiver.firstArrived.await(10, TimeUnit.SECONDS));
            jobs.uploaded(job, "metadata", "downloads/m/j/metadata.json", "application/json", new Transfers.Uploaded(10, "11".repeat(32)));
            jobs.uploaded(job, "video", "downloads/m/j/video.mp4", "video/mp4", new Transfers.Uploaded(20, "22".repeat(32)));
            receiver.release.countDown();
            jobs.finish(job);

            List<Map<String, Object>> got = receiver.received();
            assertEquals(2, got.size(), "the two provenance reports in one callback: " + got);
            Map<?, ?> outputs = (Map<?, ?>) got.get(1).get("outputs");
            assertEquals("11".repeat(32), ((Map<?, ?>) outputs.get("metadata")).get("sha256"));
            assertEquals("22".repeat(32), ((Map<?, ?>) outputs.get("video")).get("sha256"));
        }
    }

    @Test
    void phaseChangesAndTheTerminalCallbackAreNeverMerged() throws Exception {
        try (HeldReceiver receiver = new HeldReceiver(); TestMedia.TempDir dir = TestMedia.tempDir("runner-merge")) {
            RunnerJobs jobs = jobs(dir);
            RunnerJob job = accept(jobs, receiver, "job_no_merge");
            jobs.phase(job, "running", "running", 0.2);
            assertTrue(receiver.firstArrived.await(10, TimeUnit.SECONDS));
            jobs.phase(job, "running", "running", 0.5); // a progress report, waiting
            jobs.phase(job, "uploading", "uploading", 0.95); // a phase change: not merged into, nor merging
            jobs.uploaded(job, "video", "outputs/v.mp4", "video/mp4", new Transfers.Uploaded(5, "cd".repeat(32)));
            jobs.completed(job, Map.of()); // terminal: the provenance report before it stays its own
            receiver.release.countDown();
            jobs.finish(job);

            List<String> got = receiver.received().stream()
                    .map(m -> m.get("status") + "@" + m.get("progress") + (m.get("outputs") != null && !"completed".equals(m.get("status")) ? "+outputs" : ""))
                    .toList();
            assertEquals(List.of("running@0.2", "running@0.5", "uploading@0.95", "uploading@0.95+outputs", "completed@1.0"), got);
        }
    }
}
