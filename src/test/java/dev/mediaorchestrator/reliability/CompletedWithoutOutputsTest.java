package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunnerCallback;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 28, item 3: a runner that says {@code completed} while outputs are missing (by its callback,
 * or by its {@code /status} when probed) does not keep its job until {@code JOB_TIMEOUT_SECONDS}: after
 * {@code RUNNER_COMPLETED_GRACE_SECONDS} the job fails naming the missing outputs, with one terminal
 * callback. The runner here uploads only the video of a download.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompletedWithoutOutputsTest {
    private final ExecutorService background = Executors.newCachedThreadPool();
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        runner = new StubHttpServer();
        // mediaId "says-so": a completed callback; "probed": no callback, its /status says completed
        runner.on("/render", ex -> {
            Map<String, Object> p = Json.parseObject(runner.record(ex).body());
            StubHttpServer.respond(ex, 202, "application/json", Json.writeBytes(Map.of("jobId", p.get("jobId"))));
            background.submit(() -> {
                Put.put(URI.create((String) p.get("outputVideoPutUrl")), "video/mp4", new byte[1000]);
                if ("says-so".equals(p.get("mediaId"))) {
                    RunnerCallback.send(p, Map.of("status", "completed", "phase", "completed", "progress", 1.0));
                }
                return null;
            });
        });
        runner.on("/status/", ex -> {
            String jobId = ex.getRequestURI().getPath().substring("/status/".length());
            runner.record(ex);
            StubHttpServer.respond(ex, 200, "application/json", Json.writeBytes(Map.of("jobId", jobId, "status", "completed", "progress", 1.0)));
        });
        app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                "RUNNER_PROBE_SECONDS", "1", "COMPLETION_POLL_INTERVAL_MS", "300", "TRANSFER_MODE", "direct",
                "RUNNER_COMPLETED_GRACE_SECONDS", "2"));
    }

    @AfterAll
    void stop() {
        app.close();
        runner.close();
        next.close();
        background.shutdownNow();
    }

    private void failsNamingTheMissingOutputs(String mediaId) throws Exception {
        String jobId = app.newDownloadJob(mediaId);
        Wait.until("the failed callback", Duration.ofSeconds(60), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("failed", cb.get("status"));
        String prefix = "downloads/" + mediaId + "/" + jobId + "/";
        assertEquals("runner reported completed but outputs are missing: " + prefix + "audio.mp3, " + prefix + "metadata.json", cb.get("error"));
        assertEquals(cb.get("error"), json(app.get("/jobs/" + jobId)).get("error"));
        Thread.sleep(1500); // more timer ticks and probes
        List<Map<String, Object>> cbs = next.acceptedFor(jobId);
        assertEquals(1, cbs.size(), "one callback");
    }

    @Test
    void aCompletedCallbackWithoutTheOutputsFailsTheJobAfterTheGrace() throws Exception {
        failsNamingTheMissingOutputs("says-so");
    }

    @Test
    void aProbeAnsweredCompletedWithoutTheOutputsFailsTheJobAfterTheGrace() throws Exception {
        failsNamingTheMissingOutputs("probed");
    }
}
