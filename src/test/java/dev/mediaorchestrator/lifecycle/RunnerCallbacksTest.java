package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /callbacks/container: replay-safe, forward-only, final once terminal, 404/401/400. */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunnerCallbacksTest {
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        next = new AppStandIn(new dev.mediaorchestrator.common.Hmac(RunningApp.SECRET));
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            runner.record(ex);
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
        });
        app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                "COMPLETION_POLL_INTERVAL_MS", "1500"));
    }

    @AfterAll
    void stop() {
        app.close();
        runner.close();
        next.close();
    }


    private static Map<String, Object> cb(String jobId, String status, String phase, double progress) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobId", jobId);
        m.put("status", status);
        m.put("phase", phase);
        m.put("progress", progress);
        m.put("ts", System.currentTimeMillis());
        m.put("nonce", UUID.randomUUID().toString());
        return m;
    }

    /** As this project's runners send it: with {@code provenance} and the runner's address. */
    private Map<String, Object> ours(Map<String, Object> cb) {
        cb.put("provenance", true);
        cb.put("runnerUrl", runner.base().toString());
        return cb;
    }

    private Map<String, Object> doc(String jobId) throws Exception {
        return json(app.get("/jobs/" + jobId));
    }

    @Test
    void aReplayChangesNothing() throws Exception {
        String jobId = app.newDownloadJob("cbreplay");
        byte[] body = Json.writeBytes(cb(jobId, "running", "downloading", 0.3));
        HttpResponse<String> first = app.postRaw("/callbacks/container", body, Map.of());
        assertEquals(200, first.statusCode(), first.body());
        assertEquals(Map.of("ok", true, "status", "running"), json(first));
        app.postSigned("/callbacks/container", cb(jobId, "running", "downloading", 0.4));
        HttpResponse<String> replay = app.postRaw("/callbacks/container", body, Map.of());
        assertEquals(200, replay.statusCode());
        assertEquals(Map.of("ok", true, "duplicate", true), json(replay));
        assertEquals(0.4, ((Number) doc(jobId).get("progress")).doubleValue());
        // the same nonce under a new signature is a replay too
        Map<String, Object> sameNonce = Json.parseObject(body);
        sameNonce.put("ts", System.currentTimeMillis() + 1);
        sameNonce.put("progress", 0.9);
        assertEquals(Map.of("ok", true, "duplicate", true), json(app.postSigned("/callbacks/container", sameNonce)));
        assertEquals(0.4, ((Number) doc(jobId).get("progress")).doubleValue());
    }

    /** Record writes of every job of this process, as /metrics counts them. */
    private double stateWrites() throws Exception {
        return new dev.mediaorchestrator.observability.PrometheusText(app.get("/metrics").body()).find("mediaorch_state_writes_total")
                .stream().mapToDouble(dev.mediaorchestrator.observability.PrometheusText.Sample::value).sum();
    }

    /** This app's job store (the bucket's records as this replica reads them). */
    private dev.mediaorchestrator.orchestrator.JobStore jobStore() {
        return app.app.camelContext().getRegistry().lookupByNameAndType("jobStore", dev.mediaorchestrator.orchestrator.JobStore.class);
    }

    private String storedVersion(String jobId) {
        return jobStore().fresh(jobId).orElseThrow().version;
    }

    /** The job's record as another replica reads it: straight from the bucket. */
    private double storedProgress(String jobId) {
        return jobStore().fresh(jobId).orElseThrow().progress;
    }

    /** A provenance report of this project's runners: the current phase with one output's digest. */
    private Map<String, Object> report(String jobId, String kind, byte[] bytes) throws Exception {
        Map<String, Object> m = cb(jobId, "uploading", "uploading", 0.95);
        m.put("provenance", true);
        m.put("outputs", Map.of(kind, Map.of("size", bytes.length,
                "sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))));
        return m;
    }

    @Test
    void theReportOfTheLastOutputsDigestCompletesTheJobAtOnce() throws Exception {
        String jobId = app.newDownloadJob("cblast");
        dev.mediaorchestrator.orchestrator.Job job = jobStore().fresh(jobId).orElseThrow();
        Map<String, byte[]> outputs = new LinkedHashMap<>();
        for (dev.mediaorchestrator.orchestrator.Engine.OutputKind kind : job.outputs()) {
            outputs.put(kind.id, (kind.id + " of " + jobId).getBytes());
        }
        assertEquals(Set.of("video", "audio", "metadata"), outputs.keySet());
        app.postSigned("/callbacks/container", cb(jobId, "uploading", "uploading", 0.9));
        // each output goes up, then its report (the runner's order); the last report brings the last digest
        int n = 0;
        for (Map.Entry<String, byte[]> o : outputs.entrySet()) {
            app.app.storage().putSmall(job.outputKey(dev.mediaorchestrator.orchestrator.Engine.OutputKind.valueOf(o.getKey().toUpperCase())),
                    o.getValue(), "application/octet-stream", null, false);
            Map<String, Object> answer = json(app.postSigned("/callbacks/container", report(jobId, o.getKey(), o.getValue())));
            n++;
            assertEquals(n < outputs.size() ? "uploading" : "completed", answer.get("status"),
                    "answer to the report of output " + n + " of " + outputs.size()
                            + " (before: the job waited for the runner's completed callback or the next timer tick)");
        }
        Map<String, Object> doc = doc(jobId);
        assertEquals("completed", doc.get("status"));
        assertTrue(((Map<?, ?>) ((Map<?, ?>) doc.get("outputs")).get("audio")).get("sha256") instanceof String, "with every digest: " + doc.get("outputs"));
        Map<String, Object> late = cb(jobId, "completed", "completed", 1.0);
        assertEquals(Map.of("ok", true, "status", "completed"), json(app.postSigned("/callbacks/container", late)), "the runner's completed callback finds it done");
        Wait.until("the app's callback", Duration.ofSeconds(20), () -> !next.acceptedFor(jobId).isEmpty());
        Thread.sleep(1000);
        assertEquals(1, next.acceptedFor(jobId).size(), "one terminal callback");
    }

    @Test
    void aCallbackWithANonceIsRememberedByItsNonceAlone() throws Exception {
        String jobId = app.newDownloadJob("cbkeys");
        Set<String> before = new HashSet<>(app.app.storage().list(dev.mediaorchestrator.orchestrator.ReplayStore.PREFIX));
        byte[] body = Json.writeBytes(cb(jobId, "running", "downloading", 0.2));
        assertEquals(Map.of("ok", true, "status", "running"), json(app.postRaw("/callbacks/container", body, Map.of())));
        Set<String> added = new HashSet<>(app.app.storage().list(dev.mediaorchestrator.orchestrator.ReplayStore.PREFIX));
        added.removeAll(before);
        // the signature covers the nonce: one key refuses what the pair did, with one bucket write fewer
        assertEquals(1, added.size(), "replay objects written for one callback: " + added);
        assertEquals(Map.of("ok", true, "duplicate", true), json(app.postRaw("/callbacks/container", body, Map.of())), "the same bytes");
        Map<String, Object> resigned = Json.parseObject(body);
        resigned.put("ts", System.currentTimeMillis() + 1);
        assertEquals(Map.of("ok", true, "duplicate", true), json(app.postSigned("/callbacks/container", resigned)), "its nonce, signed again");
    }

    @Test
    void progressIsWrittenThroughAtMostEveryTwoSecondsAndStatusChangesAtOnce() throws Exception {
        String jobId = app.newDownloadJob("cbstorm");
        app.postSigned("/callbacks/container", ours(cb(jobId, "running", "downloading", 0.1)));
        assertEquals(runner.base().toString(), ((Map<?, ?>) doc(jobId).get("dispatch")).get("runnerUrl"), "the runner's address is kept");
        // this job's record writes, counted as the distinct versions (ETags) of its record the
        // store learns: the process-wide counter also counts what the timers write for the other
        // jobs of this class (a flake seen in CI: 5 writes counted in 7.7 s)
        Set<String> versions = ConcurrentHashMap.newKeySet();
        AdviceWith.adviceWith(app.app.camelContext(), "job-changed", a -> a.weaveAddLast().process(e -> {
            Job j = e.getMessage().getBody(Job.class);
            if (j.jobId.equals(jobId)) {
                versions.add(j.version);
            }
        }));
        String known = storedVersion(jobId);
        versions.add(known);
        double before = versions.size();
        long t0 = System.nanoTime();
        for (int i = 1; i <= 40; i++) { // one of our runners reporting far more often than it does
            assertEquals(200, app.postSigned("/callbacks/container", ours(cb(jobId, "running", "downloading", 0.1 + i * 0.01))).statusCode());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double written = versions.size() - before;
        // one write per 2 s at most (a report, or the timer writing a waiting one), and one at the start
        assertTrue(written <= Math.floor(seconds / 2) + 1, written + " record writes for 40 progress reports in " + seconds + " s");
        assertEquals(0.5, ((Number) doc(jobId).get("progress")).doubleValue(), 1e-9, "a poll of this replica sees the last report at once");
        long deadline = System.currentTimeMillis() + 10_000;
        while (storedProgress(jobId) < 0.5 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0.5, storedProgress(jobId), 1e-9, "and the bucket has it within the interval and a timer tick");

        before = versions.size();
        double countedBefore = stateWrites();
        app.postSigned("/callbacks/container", cb(jobId, "uploading", "uploading", 0.9));
        assertEquals(1, versions.size() - before, 1e-9, "a status change is written at once");
        assertTrue(stateWrites() - countedBefore >= 1, "mediaorch_state_writes_total counts it");
        assertEquals("uploading", doc(jobId).get("status"));
    }

    @Test
    void progressAndStatusOnlyMoveForward() throws Exception {
        String jobId = app.newDownloadJob("cbforward");
        app.postSigned("/callbacks/container", cb(jobId, "running", "downloading", 0.5));
        app.postSigned("/callbacks/container", cb(jobId, "running", "downloading", 0.3));
        assertEquals(0.5, ((Number) doc(jobId).get("progress")).doubleValue());
        app.postSigned("/callbacks/container", cb(jobId, "preparing", "preparing", 0.6));
        Map<String, Object> d = doc(jobId);
        assertEquals("running", d.get("status"), "status does not go back");
        assertEquals(0.6, ((Number) d.get("progress")).doubleValue(), "but progress may still rise");
    }

    @Test
    void completedWaitsForTheOutputsAndAfterThatNothingChanges() throws Exception {
        String jobId = app.newDownloadJob("cbfinal");
        Map<String, Object> done = cb(jobId, "completed", "completed", 1.0);
        done.put("metadata", Map.of("title", "T"));
        app.postSigned("/callbacks/container", done);
        assertEquals("queued", doc(jobId).get("status"), "not completed on the runner's word alone");
        for (String f : new String[]{"video.mp4", "audio.mp3", "metadata.json"}) {
            app.app.storage().put("downloads/cbfinal/" + jobId + "/" + f, new ByteArrayInputStream(f.getBytes()), "application/octet-stream");
        }
        // a poll sees outputs that are there within COMPLETION_POLL_INTERVAL_MS (the check is shared with the timer)
        dev.mediaorchestrator.support.Wait.until("completed once the outputs are there", Duration.ofSeconds(10),
                () -> "completed".equals(docQuietly(jobId).get("status")));
        assertEquals(Map.of("title", "T"), doc(jobId).get("metadata"));
        HttpResponse<String> late = app.postSigned("/callbacks/container", cb(jobId, "failed", "failed", 0.1));
        assertEquals(200, late.statusCode());
        Map<String, Object> d = doc(jobId);
        assertEquals("completed", d.get("status"));
        assertEquals(null, d.get("error"));
    }

    /**
     * A 5 MB title (and a long author and thumbnail) in metadata.json: the job record and the
     * terminal callback carry each field capped (text cut with a marker, an over-long URL left
     * out), not megabytes.
     */
    @Test
    void metadataFieldsAreCappedInTheRecordAndTheCallback() throws Exception {
        String jobId = app.newDownloadJob("cbbigtitle");
        String title = "T".repeat(5 * 1024 * 1024);
        Map<String, Object> info = Map.of("title", title, "uploader", "U".repeat(100_000),
                "thumbnail", "https://img.example/" + "x".repeat(10_000) + ".jpg");
        app.app.storage().put("downloads/cbbigtitle/" + jobId + "/metadata.json", new ByteArrayInputStream(Json.writeBytes(info)),
                "application/json");
        for (String f : new String[]{"video.mp4", "audio.mp3"}) {
            app.app.storage().put("downloads/cbbigtitle/" + jobId + "/" + f, new ByteArrayInputStream(f.getBytes()), "application/octet-stream");
        }
        dev.mediaorchestrator.support.Wait.until("completed", Duration.ofSeconds(30),
                () -> "completed".equals(docQuietly(jobId).get("status")));
        long recordBytes = app.app.storage().head("state/jobs/" + jobId + ".json").orElseThrow().size();
        assertTrue(recordBytes < 64 * 1024, "the job record is small: " + recordBytes + " bytes");
        Map<?, ?> metadata = (Map<?, ?>) doc(jobId).get("metadata");
        assertEquals("T".repeat(dev.mediaorchestrator.downloader.MetadataMapper.MAX_TITLE - 1) + "…", metadata.get("title"));
        assertEquals("U".repeat(dev.mediaorchestrator.downloader.MetadataMapper.MAX_AUTHOR - 1) + "…", metadata.get("author"));
        assertEquals(null, metadata.get("thumbnail"), "a URL cut short is no URL");
        dev.mediaorchestrator.support.Wait.until("the terminal callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        Map<?, ?> sent = (Map<?, ?>) next.acceptedFor(jobId).get(0).get("metadata");
        assertEquals(metadata.get("title"), sent.get("title"));
    }

    @Test
    void aRunnersMetadataIsCappedToo() throws Exception {
        String jobId = app.newDownloadJob("cbbigcb");
        Map<String, Object> uploading = cb(jobId, "uploading", "uploading", 0.9);
        uploading.put("metadata", Map.of("title", "R".repeat(200_000), "author", "A", "viewCount", 7));
        assertEquals(200, app.postSigned("/callbacks/container", uploading).statusCode());
        Map<?, ?> metadata = (Map<?, ?>) doc(jobId).get("metadata");
        assertEquals("R".repeat(dev.mediaorchestrator.downloader.MetadataMapper.MAX_TITLE - 1) + "…", metadata.get("title"));
        assertEquals("A", metadata.get("author"));
        assertEquals(7, metadata.get("viewCount"));
    }

    @Test
    void failedIsTerminalWithTheRunnersError() throws Exception {
        String jobId = app.newDownloadJob("cbfail");
        Map<String, Object> failed = cb(jobId, "failed", "failed", 0.2);
        failed.put("error", "yt-dlp: HTTP Error 404");
        app.postSigned("/callbacks/container", failed);
        Map<String, Object> d = doc(jobId);
        assertEquals("failed", d.get("status"));
        assertEquals("yt-dlp: HTTP Error 404", d.get("error"));
        app.postSigned("/callbacks/container", cb(jobId, "running", "downloading", 0.5));
        assertEquals("failed", doc(jobId).get("status"));
    }

    @Test
    void unknownJobBadSignatureAndMissingFields() throws Exception {
        HttpResponse<String> unknown = app.postSigned("/callbacks/container", cb("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "running", "x", 0.1));
        assertEquals(404, unknown.statusCode());
        assertEquals("not found", json(unknown).get("error"));
        byte[] body = Json.writeBytes(cb("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "running", "x", 0.1));
        assertEquals(401, app.postRaw("/callbacks/container", body, Map.of("x-signature", "ab".repeat(32))).statusCode());
        Map<String, Object> noStatus = cb("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "running", "x", 0.1);
        noStatus.remove("status");
        HttpResponse<String> r = app.postSigned("/callbacks/container", noStatus);
        assertEquals(400, r.statusCode());
        assertEquals("status is required", json(r).get("error"));
        Map<String, Object> noJob = cb("x", "running", "x", 0.1);
        noJob.remove("jobId");
        assertEquals("jobId is required", json(app.postSigned("/callbacks/container", noJob)).get("error"));
        Map<String, Object> stale = cb("x", "running", "x", 0.1);
        stale.put("ts", 1);
        assertEquals(401, app.postSigned("/callbacks/container", stale).statusCode());
        assertTrue(next.accepted.isEmpty() || next.accepted.stream().noneMatch(m -> "x".equals(m.get("jobId"))));
    }

    private Map<String, Object> docQuietly(String jobId) {
        try {
            return doc(jobId);
        } catch (Exception e) {
            return Map.of();
        }
    }
}
