package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A runner of this project answers {@code completed} to a probe as soon as its last upload is done,
 * while its reports of the outputs (each with its sha256) are still queued on their way: a slow
 * network, a busy orchestrator. The job waits for them (up to {@code PROVENANCE_WAIT_MS} from the
 * runner's last word), so the app's callback carries every digest; a runner that then says nothing
 * more does not hold its job.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProbeBeforeReportsTest {
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            runner.record(ex);
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        });
        // its uploads are done: its own view says completed, whatever reached the orchestrator
        runner.on("/status/", ex -> {
            String jobId = ex.getRequestURI().getPath().substring("/status/".length());
            StubHttpServer.respond(ex, 200, "application/json",
                    ("{\"jobId\":\"" + jobId + "\",\"status\":\"completed\",\"progress\":1}").getBytes(StandardCharsets.UTF_8));
        });
        app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                "COMPLETION_POLL_INTERVAL_MS", "200", "RUNNER_PROBE_SECONDS", "1"));
    }

    @AfterAll
    void stop() {
        app.close();
        runner.close();
        next.close();
    }

    private String job(String mediaId) throws Exception {
        String jobId = app.newDownloadJob(mediaId);
        Wait.until("the job dispatched", Duration.ofSeconds(20), () -> runner.requests("/render").stream()
                .anyMatch(q -> q.bodyText().contains(jobId)));
        return jobId;
    }

    /** A report as this project's runners send it: with {@code provenance} and its address; {@code outputs} when given. */
    private Map<String, Object> report(String jobId, String status, Map<String, Object> outputs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobId", jobId);
        m.put("status", status);
        m.put("phase", status);
        m.put("progress", "completed".equals(status) ? 1.0 : 0.95);
        m.put("provenance", true);
        m.put("runnerUrl", runner.base().toString());
        if (outputs != null) {
            m.put("outputs", outputs);
        }
        m.put("ts", System.currentTimeMillis());
        m.put("nonce", UUID.randomUUID().toString());
        return m;
    }

    private JobStore jobStore() {
        return app.app.camelContext().getRegistry().lookupByNameAndType("jobStore", JobStore.class);
    }

    /** Each output of the job put in the bucket (as the runner's uploads); its digest by kind. */
    private Map<String, Object> uploadOutputs(String jobId) throws Exception {
        Job job = jobStore().fresh(jobId).orElseThrow();
        Map<String, Object> outputs = new LinkedHashMap<>();
        for (Engine.OutputKind kind : job.outputs()) {
            byte[] bytes = (kind.id + " of " + jobId).getBytes(StandardCharsets.UTF_8);
            app.app.storage().putSmall(job.outputKey(kind), bytes, "application/octet-stream", null, false);
            outputs.put(kind.id, Map.of("size", bytes.length,
                    "sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))));
        }
        return outputs;
    }

    private double completedProbes() {
        return app.metric("mediaorch_runner_probes_total", "engine", "media-downloader", "result", "completed");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aProbeThatFindsTheRunDoneWaitsForTheDigestsOnTheirWay() throws Exception {
        String jobId = job("probe-first");
        app.postSigned("/callbacks/container", report(jobId, "uploading", null));
        Map<String, Object> outputs = uploadOutputs(jobId);
        double before = completedProbes();
        Wait.until("a probe that finds the run done", Duration.ofSeconds(20), () -> completedProbes() > before);
        assertEquals("uploading", json(app.get("/jobs/" + jobId)).get("status"),
                "the job waits for the runner's reports (before: completed by the probe, without a digest)");

        // the reports come: each digest, then the completed callback
        for (Map.Entry<String, Object> o : outputs.entrySet()) {
            app.postSigned("/callbacks/container", report(jobId, "uploading", Map.of(o.getKey(), o.getValue())));
        }
        app.postSigned("/callbacks/container", report(jobId, "completed", outputs));
        Wait.until("the app's callback", Duration.ofSeconds(20), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("completed", cb.get("status"));
        Map<String, Object> sent = (Map<String, Object>) cb.get("outputs");
        for (String kind : outputs.keySet()) {
            Map<String, Object> expected = (Map<String, Object>) outputs.get(kind);
            assertEquals(expected.get("sha256"), ((Map<String, Object>) sent.get(kind)).get("sha256"), kind + "'s digest: " + sent);
        }
        Thread.sleep(500);
        assertEquals(1, next.acceptedFor(jobId).size(), "one terminal callback");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRunnerThatSaysNothingMoreDoesNotHoldItsJob() throws Exception {
        String jobId = job("probe-quiet");
        app.postSigned("/callbacks/container", report(jobId, "uploading", null));
        uploadOutputs(jobId);
        // no report comes: completed from the bucket once PROVENANCE_WAIT_MS (10 s) has passed since the last one
        Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("completed", cb.get("status"));
        Map<String, Object> video = (Map<String, Object>) ((Map<String, Object>) cb.get("outputs")).get("video");
        assertNull(video.get("sha256"), "no digest came: " + video);
        assertTrue(((Number) video.get("size")).longValue() > 0, "the size as stored: " + video);
    }
}
