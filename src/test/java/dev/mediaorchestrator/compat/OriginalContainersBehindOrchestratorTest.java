package dev.mediaorchestrator.compat;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The original node containers behind this orchestrator (CONTRACT.md, "Compatibility with the
 * original's parts"), played by {@link OriginalRunnerStandIn}: a downloader that uploads its three
 * files and sends {@code completed} with {@code metadata} only seconds later, a burner that stays
 * silent for several probe intervals while it works, and a burner that fails without a callback.
 * Both transfer modes: fallback (the {@code /upload} of the last file completes the job) and
 * direct (the completion timer does).
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OriginalContainersBehindOrchestratorTest {
    /** Shaped like yt-dlp's info JSON: the mapped fields among megabytes of formats. */
    private static final String INFO_JSON;

    static {
        StringBuilder formats = new StringBuilder();
        for (int i = 0; i < 4000; i++) {
            formats.append(i == 0 ? "" : ",").append("{\"format_id\":\"").append(i).append("\",\"url\":\"https://cdn.example/")
                    .append("x".repeat(200)).append("\",\"height\":").append(i % 1080).append("}");
        }
        INFO_JSON = "{\"id\":\"abc\",\"title\":\"Original title 原标题\",\"formats\":[" + formats + "],"
                + "\"thumbnails\":[{\"url\":\"https://i.example/small.jpg\"},{\"url\":\"https://i.example/big.jpg\"}],"
                + "\"uploader\":\"someone\",\"view_count\":42,\"like_count\":7,\"duration\":12.5,"
                + "\"extractor\":\"youtube\",\"extractor_key\":\"Youtube\"}";
    }

    private final Map<String, Integer> lateCallbacks = new ConcurrentHashMap<>();
    private final byte[] video = new byte[200_000];
    private final byte[] audio = new byte[50_000];
    private AppStandIn next;
    private OriginalRunnerStandIn runner;
    private RunningApp fallback;
    private RunningApp direct;

    @BeforeAll
    void start() throws Exception {
        new Random(7).nextBytes(video);
        new Random(8).nextBytes(audio);
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        runner = new OriginalRunnerStandIn();
        runner.behave("dl-fallback", this::originalDownloader).behave("dl-direct", this::originalDownloader)
                .behave("quiet", this::quietBurner).behave("fails", this::silentlyFailingBurner)
                .behave("long", this::burnerThatUploads);
        for (String m : new String[]{"quiet", "fails"}) {
            next.media(m, "source", "video".getBytes()).media(m, "subtitles", "WEBVTT\n".getBytes());
        }
        try (TestMedia.TempDir dir = TestMedia.tempDir("original-long-")) {
            // an MP4 longer than BURN_SEGMENT_SECONDS below: a burn this project's burners would take in segments
            next.media("long", "source", Files.readAllBytes(TestMedia.generateClip(dir.resolve("long.mp4"), 12.0, true)))
                    .media("long", "subtitles", "WEBVTT\n".getBytes());
        }
        Map<String, String> env = new HashMap<>();
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("CONTAINER_BASE_URL", runner.base().toString());
        env.put("COMPLETION_POLL_INTERVAL_MS", "200");
        env.put("RUNNER_PROBE_SECONDS", "1");
        // the old heartbeat limit: silence alone must not fail a job whose runner says it is running
        env.put("HEARTBEAT_TIMEOUT_SECONDS", "1");
        env.put("BURN_SEGMENT_SECONDS", "4");
        fallback = RunningApp.start(env);
        env.put("TRANSFER_MODE", "direct");
        direct = RunningApp.start(env);
    }

    @AfterAll
    void stop() {
        fallback.close();
        direct.close();
        runner.close();
        next.close();
    }

    /** Uploads video, audio and metadata.json, then (3 s later) sends completed with its own metadata. */
    private void originalDownloader(OriginalRunnerStandIn r, Map<String, Object> p) throws Exception {
        String jobId = (String) p.get("jobId");
        r.setStatus(jobId, "uploading", 0.9);
        OriginalRunnerStandIn.put(p, "outputVideoPutUrl", "video/mp4", video);
        OriginalRunnerStandIn.put(p, "outputAudioPutUrl", "audio/mpeg", audio);
        OriginalRunnerStandIn.put(p, "outputMetadataPutUrl", "application/json", INFO_JSON.getBytes(StandardCharsets.UTF_8));
        r.setStatus(jobId, "completed", 1.0);
        // seconds later: after the job has completed from the bucket (at most 20 s; a fixed 3 s could
        // come first on a loaded machine, and the runner's metadata would then rightly win)
        Thread.sleep(3000);
        Wait.atMost(Duration.ofSeconds(17), () -> !next.acceptedFor(jobId).isEmpty());
        lateCallbacks.put(jobId, r.callback(p, Map.of("status", "completed", "phase", "completed", "progress", 1.0,
                "metadata", Map.of("title", "late runner title", "quality", "720p", "source", "youtube"))));
    }

    /**
     * Silent while "ffmpeg runs": at least 4 s (4 probe intervals) and until it has been probed
     * twice (at most 20 s: a loaded machine probes later, and a fixed 4 s then saw one probe only),
     * then uploads; never calls back. Its first status answer takes 1.5 s, longer than the interval.
     */
    private void quietBurner(OriginalRunnerStandIn r, Map<String, Object> p) throws Exception {
        String jobId = (String) p.get("jobId");
        r.setStatus(jobId, "running", 0.2);
        r.slowStatus(jobId, 1500);
        Thread.sleep(1500);
        r.setStatus(jobId, "running", 0.6);
        Thread.sleep(2500);
        Wait.atMost(Duration.ofSeconds(16), () -> r.probes(jobId) >= 2);
        r.setStatus(jobId, "uploading", 0.95);
        OriginalRunnerStandIn.put(p, "outputPutUrl", "video/mp4", video);
        r.setStatus(jobId, "completed", 1.0);
    }

    /** Uploads the output and marks its own status completed, saying nothing (the completion timer completes the job). */
    private void burnerThatUploads(OriginalRunnerStandIn r, Map<String, Object> p) throws Exception {
        OriginalRunnerStandIn.put(p, "outputPutUrl", "video/mp4", video);
        r.setStatus((String) p.get("jobId"), "completed", 1.0);
    }

    /** ffmpeg fails after 300 ms: the original burner only marks its own status. */
    private void silentlyFailingBurner(OriginalRunnerStandIn r, Map<String, Object> p) throws Exception {
        Thread.sleep(300);
        r.setStatus((String) p.get("jobId"), "failed", 0.2);
    }

    private String submitDownload(RunningApp app, String mediaId) throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "media-downloader",
                "options", Map.of("url", "https://www.youtube.com/watch?v=abc", "quality", "720p", "source", "youtube"),
                "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    @SuppressWarnings("unchecked")
    private void assertMetadataFromTheBucket(Map<String, Object> metadata, String where) {
        assertTrue(metadata != null, where + ": metadata is there");
        assertEquals("Original title 原标题", metadata.get("title"), where);
        assertEquals("someone", metadata.get("author"), where);
        assertEquals("https://i.example/big.jpg", metadata.get("thumbnail"), where + " (the last of thumbnails[] when no thumbnail)");
        assertEquals(42, ((Number) metadata.get("viewCount")).intValue(), where);
        assertEquals(7, ((Number) metadata.get("likeCount")).intValue(), where);
        assertEquals(12.5, ((Number) metadata.get("duration")).doubleValue(), where);
        assertEquals("720p", metadata.get("quality"), where);
        assertEquals("youtube", metadata.get("source"), where);
    }

    @SuppressWarnings("unchecked")
    private void downloaderCompletesWithMetadata(RunningApp app, String mediaId) throws Exception {
        String jobId = submitDownload(app, mediaId);
        Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("completed", cb.get("status"));
        assertMetadataFromTheBucket((Map<String, Object>) cb.get("metadata"), "the callback");
        assertMetadataFromTheBucket((Map<String, Object>) json(app.get("/jobs/" + jobId)).get("metadata"), "the job document");
        Wait.until("the runner's late completed", Duration.ofSeconds(10), () -> lateCallbacks.containsKey(jobId));
        assertEquals(200, lateCallbacks.get(jobId), "a callback on a terminal job is taken and changes nothing");
        Thread.sleep(500);
        assertEquals(1, next.acceptedFor(jobId).size(), "one callback, whatever the runner sends later");
        assertMetadataFromTheBucket((Map<String, Object>) json(app.get("/jobs/" + jobId)).get("metadata"), "the job document afterwards");
    }

    private static double progress(RunningApp app, String jobId) {
        try {
            return ((Number) json(app.get("/jobs/" + jobId)).get("progress")).doubleValue();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void fallbackTheUploadOfTheLastFileCompletesTheJobWithMetadata() throws Exception {
        downloaderCompletesWithMetadata(fallback, "dl-fallback");
    }

    @Test
    void directTheTimerCompletesTheJobWithMetadata() throws Exception {
        downloaderCompletesWithMetadata(direct, "dl-direct");
    }

    @Test
    void aQuietBurnerIsProbedNotKilledAndItsJobCompletesOnce() throws Exception {
        HttpResponse<String> r = direct.postSigned("/jobs", Map.of("mediaId", "quiet", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        String jobId = (String) json(r).get("jobId");
        Wait.until("the probed progress in the job document", Duration.ofSeconds(10),
                () -> progress(direct, jobId) >= 0.6);
        Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
        assertTrue(runner.probes(jobId) >= 2, "probed while silent: " + runner.probes(jobId));
        assertEquals(1, runner.maxProbesInFlight.get(jobId), "probes of one job never overlap");
        Thread.sleep(1500);
        assertEquals(1, next.acceptedFor(jobId).size());
        String metrics = direct.get("/metrics").body();
        assertTrue(metrics.contains("mediaorch_runner_probes_total{engine=\"burner-ffmpeg\",result=\"alive\"}"), "probes are counted");
    }

    /**
     * Issue 32: however long its input, a burn job keeps the contract's single run on the original
     * burner, which lists no {@code segments} feature on its {@code /healthz}: it never gets a plan,
     * a segment or a join (it would not understand one).
     */
    @Test
    void theOriginalBurnerNeverGetsAPlanASegmentOrAJoin() throws Exception {
        runner.server.on("/healthz", ex -> {
            runner.server.record(ex);
            StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes()); // up, and nothing more
        });
        for (RunningApp app : List.of(fallback, direct)) {
            HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "long", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
            assertEquals(202, r.statusCode(), r.body());
            String jobId = (String) json(r).get("jobId");
            Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
            assertEquals("completed", next.acceptedFor(jobId).get(0).get("status"));
            List<Map<String, Object>> renders = runner.server.requests("/render").stream().map(q -> Json.parseObject(q.body()))
                    .filter(p -> String.valueOf(p.get("jobId")).startsWith(jobId)).toList();
            assertEquals(1, renders.size(), "one dispatch: " + renders.stream().map(p -> p.get("jobId")).toList());
            Map<String, Object> payload = renders.get(0);
            assertEquals(jobId, payload.get("jobId"), "the job itself, not a task of it");
            assertTrue(payload.containsKey("outputPutUrl") && !payload.containsKey("plan") && !payload.containsKey("segment")
                    && !payload.containsKey("join"), "the contract's payload: " + payload.keySet());
            assertNull(json(app.get("/jobs/" + jobId)).get("segments"), "never planned");
        }
        assertTrue(runner.server.requests("/healthz").size() >= 1, "the orchestrator asked the burner what it takes");
    }

    @Test
    void aBurnerThatFailsWithoutACallbackFailsTheJobAtItsFirstProbes() throws Exception {
        HttpResponse<String> r = fallback.postSigned("/jobs", Map.of("mediaId", "fails", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        String jobId = (String) json(r).get("jobId");
        Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("failed", cb.get("status"));
        assertTrue(String.valueOf(cb.get("error")).startsWith("runner reports failed"), String.valueOf(cb.get("error")));
        assertTrue(runner.probes(jobId) <= 2, "failed within two probe intervals: " + runner.probes(jobId) + " probes");
        Thread.sleep(1500);
        assertEquals(1, next.acceptedFor(jobId).size());
    }
}
