package dev.mediaorchestrator.compat;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27, item 1 (CONTRACT.md, "A runner without a status endpoint is not lost"): the original
 * {@code renderer-remotion}, played strictly by {@link OriginalRunnerStandIn#withoutStatus()}, serves
 * only {@code POST /render} and answers every probe with {@code 404 {"error":"not found"}}. It reports
 * {@code preparing} 0.05 and 0.15, is silent for many probe intervals while it bundles and renders,
 * then reports 0.8, {@code uploading}, uploads and calls back {@code completed}. Those 404s are no
 * evidence that it lost the job: the job is sent once and completes once. No answer at all still
 * counts (the job runs again), and {@code JOB_TIMEOUT_SECONDS} still bounds a render that never ends.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OriginalRendererBehindOrchestratorTest {
    /** Probes the long render sits through in silence (twice the three that used to fail a job). */
    private static final int SILENT_PROBES = 6;

    private final byte[] video = "rendered video".getBytes(StandardCharsets.UTF_8);
    private AppStandIn next;
    private OriginalRunnerStandIn renderer;
    private RunningApp app;
    private RunningApp shortTimeout;

    @BeforeAll
    void start() throws Exception {
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        renderer = OriginalRunnerStandIn.withoutStatus();
        renderer.behave("long", this::longRender).behave("dies", this::diesOnItsFirstRun).behave("endless", this::endlessRender);
        for (String m : new String[]{"long", "dies", "endless"}) {
            next.media(m, "source", "video".getBytes(StandardCharsets.UTF_8))
                    .media(m, "comments-data", "{\"comments\":[]}".getBytes(StandardCharsets.UTF_8));
        }
        Map<String, String> env = new HashMap<>();
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("CONTAINER_BASE_URL_REMOTION", renderer.base().toString());
        env.put("COMPLETION_POLL_INTERVAL_MS", "200");
        env.put("RUNNER_PROBE_SECONDS", "1");
        env.put("TRANSFER_MODE", "direct");
        app = RunningApp.start(env);
        env.put("JOB_TIMEOUT_SECONDS_RENDERER_REMOTION", "8");
        shortTimeout = RunningApp.start(env);
    }

    @AfterAll
    void stop() {
        app.close();
        shortTimeout.close();
        renderer.close();
        next.close();
    }

    private static Map<String, Object> progress(double progress, String status, String phase) {
        return Map.of("status", status, "phase", phase, "progress", progress);
    }

    /** The original's phases around a silence of {@value #SILENT_PROBES} probes (at most a minute). */
    private void longRender(OriginalRunnerStandIn r, Map<String, Object> p) throws Exception {
        String jobId = (String) p.get("jobId");
        r.callback(p, progress(0.05, "preparing", "preparing"));
        r.callback(p, progress(0.15, "preparing", "bundling"));
        Wait.atMost(Duration.ofSeconds(60), () -> r.probes(jobId) >= SILENT_PROBES);
        r.callback(p, progress(0.8, "running", "rendering"));
        r.callback(p, progress(0.9, "uploading", "uploading"));
        OriginalRunnerStandIn.put(p, "outputPutUrl", "video/mp4", video);
        r.callback(p, Map.of("status", "completed", "phase", "completed", "progress", 1.0, "outputKey", p.get("outputVideoKey")));
    }

    /** Its first run dies after {@code preparing} (its probes get no answer); the run after that renders. */
    private void diesOnItsFirstRun(OriginalRunnerStandIn r, Map<String, Object> p) throws Exception {
        String jobId = (String) p.get("jobId");
        r.callback(p, progress(0.05, "preparing", "preparing"));
        if (r.renders(jobId) == 1) {
            r.vanish(jobId);
            return;
        }
        OriginalRunnerStandIn.put(p, "outputPutUrl", "video/mp4", video);
        r.callback(p, Map.of("status", "completed", "phase", "completed", "progress", 1.0));
    }

    /** Renders forever without a word after {@code preparing}. */
    private void endlessRender(OriginalRunnerStandIn r, Map<String, Object> p) throws Exception {
        r.callback(p, progress(0.1, "preparing", "preparing"));
    }

    private static String submit(RunningApp app, String mediaId) throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "renderer-remotion",
                "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    private Map<String, Object> awaitCallback(String jobId, Duration max) {
        Wait.until("the app's callback", max, () -> !next.acceptedFor(jobId).isEmpty());
        return next.acceptedFor(jobId).get(0);
    }

    /**
     * The original renderer serves {@code POST /render} only, so it answers {@code GET /healthz}
     * with 404: that is an answer (the runner is there), as the contract's rule for a runner without
     * a status endpoint says. Counted as down, it kept the orchestrator unready for good, and a
     * Service behind a readiness probe never sent it a request.
     */
    @Test
    void theOrchestratorIsReadyBehindARendererWithoutHealthz() throws Exception {
        Wait.until("the orchestrator to be ready", Duration.ofSeconds(30), () -> {
            try {
                return app.get("/health/ready").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        HttpResponse<String> r = app.get("/health/ready");
        assertTrue(r.body().contains("renderer-remotion") && r.body().contains("without /healthz"), r.body());
    }

    @Test
    void aRendererThatAnswersEveryProbeWith404KeepsItsJobWhichCompletesOnce() throws Exception {
        String jobId = submit(app, "long");
        Map<String, Object> cb = awaitCallback(jobId, Duration.ofSeconds(90));
        assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
        assertTrue(renderer.probes(jobId) >= SILENT_PROBES, "probed while silent: " + renderer.probes(jobId));
        assertEquals(1, renderer.renders(jobId), "sent once: a 404 from a runner that never answered a probe is no evidence");
        assertEquals(1, ((Number) cb.get("runs")).intValue());
        assertEquals(1, ((Number) json(app.get("/jobs/" + jobId)).get("runs")).intValue());
        Thread.sleep(1000);
        assertEquals(1, next.acceptedFor(jobId).size(), "one callback");
    }

    @Test
    void aRendererThatNoLongerAnswersLosesItsJobWhichRunsAgain() throws Exception {
        String jobId = submit(app, "dies");
        Map<String, Object> cb = awaitCallback(jobId, Duration.ofSeconds(60));
        assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
        assertEquals(2, renderer.renders(jobId), "no answer to three probes in a row: sent again");
        assertEquals(2, ((Number) cb.get("runs")).intValue());
    }

    @Test
    void aRenderThatNeverEndsIsBoundedByTheJobTimeout() throws Exception {
        String jobId = submit(shortTimeout, "endless");
        Map<String, Object> cb = awaitCallback(jobId, Duration.ofSeconds(60));
        assertEquals("failed", cb.get("status"));
        assertEquals("job timed out after 8 s", cb.get("error"));
        assertTrue(renderer.probes(jobId) >= 3, "probed meanwhile: " + renderer.probes(jobId));
        assertEquals(1, renderer.renders(jobId), "never sent again while it may still be rendering");
    }
}
