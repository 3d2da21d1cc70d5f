package dev.mediaorchestrator.smoke;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.ValidatingHttpClient;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The seed deployment guide's smoke test (seed/000_edf74a9ddb9f7dfb.txt, 冒烟测试), automated, in
 * both transfer modes: the all-in-one service (orchestrator, burner and downloader in one process,
 * runners reached over loopback HTTP) on free ports, and a stand-in for the Next app that serves a
 * 15-second clip with its bilingual VTT and checks the signature of every callback.
 *
 * <ol>
 *   <li>a burn job is submitted for the clip (step 1);</li>
 *   <li>the log shows {@code start job}, {@code inputs ready}, {@code ffmpeg done} and no warning or
 *       error for the job (step 2);</li>
 *   <li>the client sees {@code queued} (the 202) → {@code preparing}/{@code running} →
 *       {@code completed} (polling {@code GET /jobs/{id}}), never going back (step 3);</li>
 *   <li>the app gets exactly one signed terminal callback ({@code [cf-callback] delivered}), its
 *       {@code outputUrl} fetches the artifact, and the artifact plays through {@code /artifacts}
 *       with Range: ffprobe reads it over HTTP (step 4);</li>
 *   <li>a download job of a local page leaves video, mp3 and metadata.json at the contract's keys,
 *       and its callback's URLs fetch them (step 5).</li>
 * </ol>
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeedSmokeTest {
    private static final double CLIP_SECONDS = 15;
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(50);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The order of statuses (CONTRACT.md, job document; preparing and fetching_metadata are one step). */
    private static final Map<String, Integer> RANK = Map.of("queued", 0, "preparing", 1, "fetching_metadata", 1,
            "running", 2, "uploading", 3, "completed", 4);
    private static final String VTT = """
            WEBVTT

            1
            00:00:01.000 --> 00:00:05.000
            Hello from the smoke test
            - 你好，冒烟测试

            2
            00:00:07.000 --> 00:00:11.000
            The subtitles are burned in
            - 字幕已经烧录
            """;

    private final HttpClient http = ValidatingHttpClient.wrap(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
    private TestMedia.TempDir media;
    private Path clip;
    private byte[] clipBytes;

    @BeforeAll
    void generateClip() throws IOException {
        media = TestMedia.tempDir("seed-smoke-media");
        clip = TestMedia.generateClip(media.resolve("clip.mp4"), 320, 180, CLIP_SECONDS, true);
        clipBytes = Files.readAllBytes(clip);
    }

    @AfterAll
    void deleteClip() {
        if (media != null) {
            media.close();
        }
    }

    @ParameterizedTest(name = "TRANSFER_MODE={0}")
    @ValueSource(strings = {"direct", "fallback"})
    void theSeedSmokeTestPasses(String mode) throws Exception {
        try (Smoke smoke = new Smoke(mode)) {
            String burnJob = burn(smoke, mode);
            String downloadJob = download(smoke, mode);
            smoke.awaitWorkDirEmpty();
            // no terminal callback was sent twice meanwhile
            assertEquals(1, smoke.next.acceptedFor(burnJob).size(), "exactly one terminal callback for the burn job");
            assertEquals(1, smoke.next.acceptedFor(downloadJob).size(), "exactly one terminal callback for the download job");
            assertEquals(0, smoke.next.badSignatures.get(), "every callback the app got was correctly signed");
        }
    }

    // ---------------------------------------------------------------- burn (steps 1-4)

    private String burn(Smoke smoke, String mode) throws Exception {
        String mediaId = "smoke-" + mode;
        smoke.next.media(mediaId, "source", clipBytes).media(mediaId, "subtitles", VTT.getBytes(StandardCharsets.UTF_8));

        StatusPoller poller = smoke.submit(Map.of("mediaId", mediaId, "engine", "burner-ffmpeg",
                "options", Map.of("subtitleConfig", Map.of("fontSize", 48)), "ts", System.currentTimeMillis()));
        String jobId = poller.jobId;
        Map<String, Object> job = poller.awaitTerminal();
        assertEquals("completed", job.get("status"), "the burn job: " + job);

        // step 3: queued -> preparing/running -> completed, never backwards
        List<String> seen = poller.statuses();
        assertEquals("queued", seen.get(0), "first status seen: " + seen);
        assertTrue(seen.contains("preparing") || seen.contains("running"), "preparing or running seen: " + seen);
        assertEquals("completed", seen.get(seen.size() - 1), "last status seen: " + seen);
        assertNeverBackwards(seen);
        assertNonDecreasing(poller.progress());
        String outputKey = "outputs/by-media/" + mediaId + "/" + jobId + "/video.mp4";
        assertEquals(outputKey, job.get("outputKey"));

        // step 4: one signed terminal callback; its outputUrl fetches the artifact
        Map<String, Object> callback = smoke.awaitCallback(jobId);
        assertEquals("completed", callback.get("status"));
        assertEquals(mediaId, callback.get("mediaId"));
        assertEquals("burner-ffmpeg", callback.get("engine"));
        assertEquals(outputKey, callback.get("outputKey"));
        String outputUrl = (String) callback.get("outputUrl");
        smoke.assertOutputUrlOfMode(outputUrl, jobId, mode);

        byte[] inBucket = smoke.object(outputKey);
        HttpResponse<byte[]> full = get(smoke.app.base + "/artifacts/" + jobId, Map.of());
        assertEquals(200, full.statusCode());
        assertEquals("bytes", full.headers().firstValue("accept-ranges").orElse(null));
        assertEquals("video/mp4", full.headers().firstValue("content-type").orElse(null));
        assertArrayEquals(inBucket, full.body(), "/artifacts serves the bucket's object");
        assertArrayEquals(inBucket, get(outputUrl, Map.of()).body(), "the callback's outputUrl fetches the artifact");

        HttpResponse<byte[]> range = get(smoke.app.base + "/artifacts/" + jobId, Map.of("Range", "bytes=0-99"));
        assertEquals(206, range.statusCode());
        assertEquals("bytes 0-99/" + inBucket.length, range.headers().firstValue("content-range").orElse(null));
        assertEquals(100, range.body().length);
        assertArrayEquals(Arrays.copyOf(inBucket, 100), range.body(), "the range is the artifact's first 100 bytes");

        // plays: ffprobe reads it through the URL (seeking with Range requests)
        JsonNode probe = ffprobe(smoke.app.base + "/artifacts/" + jobId);
        assertEquals(List.of("h264"), codecs(probe, "video"));
        assertEquals(List.of("aac"), codecs(probe, "audio"));
        assertEquals(CLIP_SECONDS, probe.path("format").path("duration").asDouble(), 0.5, "duration of the artifact");
        JsonNode video = TestMedia.streams(probe, "video").get(0);
        assertEquals(320, video.path("width").asInt());
        assertEquals(180, video.path("height").asInt());

        // the subtitles are in the picture: the bottom third differs from the source's during a cue
        // (about 1900 pixels here), not between cues (0)
        Path artifact = smoke.dir.resolve("artifact.mp4");
        Files.write(artifact, inBucket);
        TestMedia.Rect bottom = new TestMedia.Rect(0, 120, 320, 60);
        long duringCue = TestMedia.frameAt(artifact, 3.0).countDiffering(TestMedia.frameAt(clip, 3.0), bottom, 60);
        long betweenCues = TestMedia.frameAt(artifact, 6.0).countDiffering(TestMedia.frameAt(clip, 6.0), bottom, 60);
        assertTrue(duringCue > 500 && betweenCues < 100, "subtitles burned in: " + duringCue + " pixels differ at a cue, "
                + betweenCues + " between cues");

        // step 2: the log
        smoke.logs.awaitLine(jobId, "[cf-callback] delivered " + jobId);
        List<String> lines = smoke.logs.linesFor(jobId);
        int start = indexOf(lines, "start job " + jobId);
        int inputs = indexOf(lines, "inputs ready (job " + jobId + ")");
        int ffmpeg = indexOf(lines, "ffmpeg done (job " + jobId + ")");
        int delivered = indexOf(lines, "[cf-callback] delivered " + jobId);
        assertTrue(inputs < ffmpeg && ffmpeg < delivered && start < delivered, "log order: " + lines);
        smoke.logs.assertNoWarningFor(jobId);
        return jobId;
    }

    // ---------------------------------------------------------------- download (step 5)

    private String download(Smoke smoke, String mode) throws Exception {
        String mediaId = "smoke-dl-" + mode;
        StatusPoller poller = smoke.submit(Map.of("mediaId", mediaId, "engine", "media-downloader",
                "options", Map.of("url", smoke.site.base() + "/watch.html", "quality", "720p"), "ts", System.currentTimeMillis()));
        String jobId = poller.jobId;
        Map<String, Object> job = poller.awaitTerminal();
        assertEquals("completed", job.get("status"), "the download job: " + job);
        List<String> seen = poller.statuses();
        assertEquals("queued", seen.get(0), "first status seen: " + seen);
        assertTrue(seen.stream().anyMatch(st -> RANK.get(st) != null && RANK.get(st) > 0 && RANK.get(st) < 4),
                "a status between queued and completed seen: " + seen);
        assertEquals("completed", seen.get(seen.size() - 1), "last status seen: " + seen);
        assertNeverBackwards(seen);
        assertNonDecreasing(poller.progress());

        String prefix = "downloads/" + mediaId + "/" + jobId + "/";
        Map<String, String> keys = Map.of("video", prefix + "video.mp4", "audio", prefix + "audio.mp3", "metadata", prefix + "metadata.json");
        Map<String, String> types = Map.of("video", "video/mp4", "audio", "audio/mpeg", "metadata", "application/json");
        for (var e : keys.entrySet()) {
            var head = smoke.app.app.storage().head(e.getValue());
            assertTrue(head.isPresent(), "in the bucket: " + e.getValue());
            assertEquals(types.get(e.getKey()), head.get().contentType(), e.getValue());
        }

        Map<String, Object> callback = smoke.awaitCallback(jobId);
        assertEquals("completed", callback.get("status"));
        assertEquals("media-downloader", callback.get("engine"));
        Map<?, ?> outputs = (Map<?, ?>) callback.get("outputs");
        assertNotNull(outputs, "outputs in the callback: " + callback);
        for (var e : keys.entrySet()) {
            Map<?, ?> out = (Map<?, ?>) outputs.get(e.getKey());
            assertEquals(e.getValue(), out.get("key"), e.getKey());
            String url = (String) out.get("url");
            smoke.assertOutputUrlOfMode(url, jobId, mode);
            HttpResponse<byte[]> fetched = get(url, Map.of());
            assertEquals(200, fetched.statusCode(), url);
            assertArrayEquals(smoke.object(e.getValue()), fetched.body(), "the callback's " + e.getKey() + " URL fetches the bucket object");
        }
        assertArrayEquals(clipBytes, smoke.object(keys.get("video")), "the downloaded video is the served clip");
        Path mp3 = smoke.dir.resolve("audio.mp3");
        Files.write(mp3, smoke.object(keys.get("audio")));
        JsonNode audio = TestMedia.probe(mp3);
        assertEquals(List.of("mp3"), codecs(audio, "audio"));
        assertEquals(CLIP_SECONDS, audio.path("format").path("duration").asDouble(), 0.5, "duration of the mp3");
        JsonNode info = JSON.readTree(smoke.object(keys.get("metadata")));
        assertEquals(smoke.site.base() + "/watch.html", info.path("webpage_url").asText(), "metadata.json is yt-dlp's info JSON");
        assertEquals("A smoke-test clip", ((Map<?, ?>) callback.get("metadata")).get("title"));

        smoke.logs.awaitLine(jobId, "[cf-callback] delivered " + jobId);
        List<String> lines = smoke.logs.linesFor(jobId);
        assertTrue(indexOf(lines, "start job " + jobId) < indexOf(lines, "[cf-callback] delivered " + jobId), "log order: " + lines);
        smoke.logs.assertNoWarningFor(jobId);
        return jobId;
    }

    // ---------------------------------------------------------------- helpers

    private HttpResponse<byte[]> get(String url, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode ffprobe(String url) throws IOException {
        TestMedia.ProcessResult r = TestMedia.run(List.of("ffprobe", "-v", "error", "-print_format", "json",
                "-show_streams", "-show_format", url), Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), "ffprobe " + url + ": " + r.stderr());
        return JSON.readTree(r.stdout());
    }

    private static List<String> codecs(JsonNode probe, String type) {
        return TestMedia.streams(probe, type).stream().map(s -> s.path("codec_name").asText()).toList();
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        fail("no log line with '" + text + "' in:\n" + String.join("\n", lines));
        return -1;
    }

    private static void assertNeverBackwards(List<String> seen) {
        for (int i = 0; i < seen.size(); i++) {
            assertTrue(RANK.containsKey(seen.get(i)), "unexpected status " + seen.get(i) + " in " + seen);
            if (i > 0) {
                assertTrue(RANK.get(seen.get(i)) >= RANK.get(seen.get(i - 1)), "went backwards: " + seen);
            }
        }
    }

    private static void assertNonDecreasing(List<Double> values) {
        for (int i = 1; i < values.size(); i++) {
            assertTrue(values.get(i) >= values.get(i - 1), "progress went down: " + values);
        }
    }

    /**
     * What a client sees of a job: the status of the 202, then {@code GET /jobs/{id}} polled as fast
     * as it answers, keeping each change of status and every progress value. (The 202 is the one
     * observation sure to catch {@code queued}: the runner's first callback often reaches the
     * orchestrator before a client's first poll does.)
     */
    private final class StatusPoller {
        final Smoke smoke;
        final String jobId;
        private final List<String> statuses = new ArrayList<>();
        private final List<Double> progress = new ArrayList<>();
        private Map<String, Object> last;

        StatusPoller(Smoke smoke, String jobId, String acceptedStatus) {
            this.smoke = smoke;
            this.jobId = jobId;
            statuses.add(acceptedStatus);
        }

        Map<String, Object> awaitTerminal() throws Exception {
            long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
            while (true) {
                HttpResponse<String> r = smoke.app.get("/jobs/" + jobId);
                assertEquals(200, r.statusCode(), r.body());
                last = RunningApp.json(r);
                String status = (String) last.get("status");
                if (statuses.isEmpty() || !statuses.get(statuses.size() - 1).equals(status)) {
                    statuses.add(status);
                }
                progress.add(((Number) last.get("progress")).doubleValue());
                if (List.of("completed", "failed", "canceled").contains(status)) {
                    return last;
                }
                if (System.nanoTime() > deadline) {
                    fail("job " + jobId + " not terminal after " + JOB_TIMEOUT + "; statuses " + statuses + ", last " + last);
                }
                Thread.sleep(20);
            }
        }

        List<String> statuses() {
            return statuses;
        }

        List<Double> progress() {
            return progress;
        }
    }

    /** One mode's world: the app stand-in, a site for the downloader, the all-in-one service, the log. */
    private final class Smoke implements AutoCloseable {
        final Path dir = TestServers.tempDir("seed-smoke");
        final Path workDir = dir.resolve("work");
        final LogCapture logs = new LogCapture();
        final AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
        final StubHttpServer site = new StubHttpServer();
        final RunningApp app;

        Smoke(String mode) throws Exception {
            String page = """
                    <!doctype html><html><head><title>watch</title>
                    <script type="application/ld+json">
                    {"@context":"https://schema.org","@type":"VideoObject","name":"A smoke-test clip",
                     "author":{"@type":"Person","name":"Smoke Test"},"duration":"PT15S",
                     "contentUrl":"%s","encodingFormat":"video/mp4"}
                    </script></head><body></body></html>
                    """.formatted(site.base() + "/clip.mp4");
            site.on("/watch.html", ex -> serve(ex, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8)));
            site.on("/clip.mp4", ex -> serve(ex, "video/mp4", clipBytes));
            try {
                Files.createDirectories(workDir);
                Map<String, String> env = new HashMap<>();
                env.put("ROLES", "orchestrator,burner,downloader");
                env.put("TRANSFER_MODE", mode);
                env.put("NEXT_BASE_URL", next.base().toString());
                env.put("BURNER_X264_PRESET", "ultrafast");
                env.put("RUNNER_WORK_DIR", workDir.toString());
                app = RunningApp.start(env);
            } catch (Exception | Error e) {
                closeRest();
                throw e;
            }
        }

        private void serve(com.sun.net.httpserver.HttpExchange ex, String type, byte[] body) throws IOException {
            site.record(ex);
            ex.getResponseHeaders().set("content-type", type);
            if ("HEAD".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("content-length", String.valueOf(body.length));
                ex.sendResponseHeaders(200, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        }

        StatusPoller submit(Map<String, Object> body) throws Exception {
            HttpResponse<String> r = app.postSigned("/jobs", body);
            assertEquals(202, r.statusCode(), r.body());
            Map<String, Object> accepted = RunningApp.json(r);
            return new StatusPoller(this, (String) accepted.get("jobId"), (String) accepted.get("status"));
        }

        /**
         * Waits for the app to accept the job's terminal callback (or to refuse a bad signature); it
         * must be correctly signed, the only one, with a fresh {@code ts} and a nonce.
         */
        Map<String, Object> awaitCallback(String jobId) {
            Wait.until("the app receives the terminal callback of " + jobId, JOB_TIMEOUT,
                    () -> !next.acceptedFor(jobId).isEmpty() || next.badSignatures.get() > 0);
            assertEquals(0, next.badSignatures.get(), "the terminal callback is correctly signed");
            List<Map<String, Object>> accepted = next.acceptedFor(jobId);
            assertEquals(1, accepted.size(), "exactly one callback for " + jobId + ": " + accepted);
            Map<String, Object> cb = accepted.get(0);
            assertTrue(Math.abs(System.currentTimeMillis() - ((Number) cb.get("ts")).longValue()) < 600_000, "fresh ts: " + cb);
            assertTrue(cb.get("nonce") instanceof String n && !n.isBlank(), "a nonce: " + cb);
            return cb;
        }

        /** Direct mode hands out presigned bucket URLs; fallback mode the orchestrator's /artifacts. */
        void assertOutputUrlOfMode(String url, String jobId, String mode) {
            assertNotNull(url);
            if (mode.equals("direct")) {
                String bucket = app.app.storage().endpoint() + "/" + app.app.storage().bucket() + "/";
                assertTrue(url.startsWith(bucket) && url.contains("X-Amz-Signature="), "a presigned bucket URL: " + url);
            } else {
                assertTrue(url.startsWith(app.base + "/artifacts/" + jobId), "an /artifacts URL: " + url);
            }
        }

        byte[] object(String key) throws IOException {
            try (InputStream in = app.app.storage().get(key, null, null)) {
                return in.readAllBytes();
            }
        }

        void awaitWorkDirEmpty() {
            Wait.untilEmpty("an empty RUNNER_WORK_DIR (the runners removed their temp files)", workDir, Duration.ofSeconds(30));
        }

        private void closeRest() {
            try {
                site.close();
                next.close();
                logs.close();
            } finally {
                TestServers.deleteRecursively(dir);
            }
        }

        @Override
        public void close() {
            try {
                if (app != null) {
                    app.close();
                }
            } finally {
                closeRest();
            }
        }
    }

    /** The service's log while a mode runs (other test classes log too: lines are picked by jobId). */
    private static final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

        LogCapture() {
            setContext(root.getLoggerContext());
            setName("seed-smoke-" + System.nanoTime());
            start();
            root.addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent event) {
            if (event.getFormattedMessage() != null && event.getFormattedMessage().contains("job_")) {
                events.add(event);
            }
        }

        List<String> linesFor(String jobId) {
            return events.stream().filter(e -> e.getFormattedMessage().contains(jobId))
                    .map(e -> e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()).toList();
        }

        void awaitLine(String jobId, String text) {
            Wait.until("a log line '" + text + "'", Duration.ofSeconds(10),
                    () -> linesFor(jobId).stream().anyMatch(l -> l.contains(text)));
        }

        /** The seed: "start job ... → 无错误" — nothing at WARN or above names the job. */
        void assertNoWarningFor(String jobId) {
            List<String> bad = events.stream().filter(e -> e.getFormattedMessage().contains(jobId)
                    && e.getLevel().isGreaterOrEqual(Level.WARN)).map(ILoggingEvent::getFormattedMessage).toList();
            assertTrue(bad.isEmpty(), "warnings or errors for " + jobId + ": " + bad);
        }

        @Override
        public void close() {
            root.detachAppender(this);
            stop();
        }
    }
}
