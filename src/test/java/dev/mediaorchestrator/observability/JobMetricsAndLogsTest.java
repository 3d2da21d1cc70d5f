package dev.mediaorchestrator.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 acceptance, metrics and logs: the whole service in one process (orchestrator and burner
 * runner, embedded bucket, fallback transfers) runs one job that completes (a real ffmpeg burn) and
 * one that fails (its video is not a video), with the app refusing the first terminal callback and
 * a third request over JOBS_RATE_PER_MINUTE. Then {@code /metrics} must count exactly that, with
 * byte counters equal to the objects' sizes in the bucket, and every log line about either job must
 * carry that job's id in the MDC, on every thread that worked for it.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobMetricsAndLogsTest {
    private static final String ENGINE = "burner-ffmpeg";
    private static final byte[] VTT = """
            WEBVTT

            00:00.000 --> 00:01.500
            Metrics and logs
            指标与日志
            """.getBytes(StandardCharsets.UTF_8);

    private TestMedia.TempDir dir;
    private AppStandIn next;
    private RunningApp app;
    private CapturedLogs logs;
    private final HttpClient http = HttpClient.newHttpClient();
    private String okJob;
    private String badJob;
    private byte[] artifact;
    private PrometheusText metrics;

    @BeforeAll
    void runTwoJobs() throws Exception {
        dir = TestMedia.tempDir("obs-jobs-");
        Path clip = TestMedia.generateClip(dir.resolve("clip.mp4"), 2, true);
        byte[] notAVideo = new byte[40_000];
        new Random(8).nextBytes(notAVideo);
        next = new AppStandIn(new Hmac(RunningApp.SECRET))
                .media("obs-ok", "source", Files.readAllBytes(clip)).media("obs-ok", "subtitles", VTT)
                .media("obs-bad", "source", notAVideo).media("obs-bad", "subtitles", VTT);
        next.failNext.set(1);
        logs = new CapturedLogs();
        app = RunningApp.start(Map.of("ROLES", "orchestrator,burner", "NEXT_BASE_URL", next.base().toString(),
                "RUNNER_WORK_DIR", dir.resolve("work").toString(), "BURNER_X264_PRESET", "ultrafast",
                "RUNNER_MAX_CONCURRENCY", "2", "COMPLETION_POLL_INTERVAL_MS", "300", "JOBS_RATE_PER_MINUTE", "2"));

        okJob = submit("obs-ok", 202);
        badJob = submit("obs-bad", 202);
        submit("obs-ok", 429);
        for (String job : List.of(okJob, badJob)) {
            Wait.until("the app's callback for " + job, Duration.ofSeconds(90), () -> !next.acceptedFor(job).isEmpty());
        }
        Wait.until("the runner to be idle", Duration.ofSeconds(30), () -> {
            try {
                return ((Number) json(app.get("/runners/burner-ffmpeg/healthz")).get("active")).intValue() == 0;
            } catch (Exception e) {
                return false;
            }
        });
        // the app may hear of a job's end a moment before the thread that ended it has counted it
        Wait.until("both ends counted and summarised", Duration.ofSeconds(30), () -> {
            try {
                PrometheusText m = new PrometheusText(app.get("/metrics").body());
                return m.value("mediaorch_job_duration_seconds_count") >= 2
                        && logs.about(okJob).stream().anyMatch(e -> e.getFormattedMessage().startsWith("job " + okJob + " ended"))
                        && logs.about(badJob).stream().anyMatch(e -> e.getFormattedMessage().startsWith("job " + badJob + " ended"));
            } catch (Exception e) {
                return false;
            }
        });
        artifact = http.send(HttpRequest.newBuilder(app.base.resolve("/artifacts/" + okJob)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
        HttpResponse<String> scrape = app.get("/metrics");
        assertEquals(200, scrape.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", scrape.headers().firstValue("content-type").orElse(""));
        metrics = new PrometheusText(scrape.body());
    }

    @AfterAll
    void stop() {
        if (logs != null) {
            logs.close();
        }
        if (app != null) {
            app.close();
        }
        if (next != null) {
            next.close();
        }
        if (dir != null) {
            dir.close();
        }
    }

    private String submit(String mediaId, int expected) throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", ENGINE, "ts", System.currentTimeMillis()));
        assertEquals(expected, r.statusCode(), r.body());
        return expected == 202 ? (String) json(r).get("jobId") : null;
    }

    private long size(String key) {
        return app.app.storage().head(key).map(Storage.ObjectInfo::size).orElseThrow(() -> new AssertionError("no object " + key));
    }

    private Map<String, Object> document(String jobId) throws Exception {
        return json(app.get("/jobs/" + jobId));
    }

    @Test
    void jobCountersAndDurationHistogram() throws Exception {
        assertEquals("completed", document(okJob).get("status"));
        assertEquals("failed", document(badJob).get("status"));

        assertEquals(2, metrics.value("mediaorch_jobs_submitted_total", "engine", ENGINE));
        assertEquals(1, metrics.value("mediaorch_jobs_completed_total", "engine", ENGINE));
        assertEquals(1, metrics.value("mediaorch_jobs_failed_total", "engine", ENGINE));
        assertEquals(0, metrics.value("mediaorch_jobs_canceled_total", "engine", ENGINE));
        assertEquals(0, metrics.value("mediaorch_jobs_submitted_total", "engine", "media-downloader"));

        // two observations in all, one per terminal status, each the job's own durationMs
        assertEquals(2, metrics.value("mediaorch_job_duration_seconds_count"));
        for (String[] c : new String[][]{{okJob, "completed"}, {badJob, "failed"}}) {
            double seconds = ((Number) document(c[0]).get("durationMs")).longValue() / 1000.0;
            assertEquals(1, metrics.value("mediaorch_job_duration_seconds_count", "engine", ENGINE, "status", c[1]));
            assertEquals(seconds, metrics.value("mediaorch_job_duration_seconds_sum", "engine", ENGINE, "status", c[1]), 1e-6);
            assertEquals(1, metrics.value("mediaorch_job_duration_seconds_bucket", "engine", ENGINE, "status", c[1], "le", "+Inf"));
            // cumulative buckets: the observation is in every bucket from its own upward, and in no smaller one
            for (PrometheusText.Sample b : metrics.find("mediaorch_job_duration_seconds_bucket", "engine", ENGINE, "status", c[1])) {
                double le = b.labels().get("le").equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(b.labels().get("le"));
                assertEquals(le >= seconds ? 1 : 0, b.value(), "bucket le=" + le + " for " + seconds + " s");
            }
        }
        assertTrue(metrics.find("mediaorch_job_duration_seconds_bucket", "engine", ENGINE, "status", "completed").size() > 20,
                "a percentile histogram: enough buckets for histogram_quantile");

        // time per status as the orchestrator saw it, and per phase as the runner did
        assertEquals(2, metrics.value("mediaorch_job_status_seconds_count", "engine", ENGINE, "status", "queued"));
        assertEquals(2, metrics.value("mediaorch_runner_phase_seconds_count", "engine", ENGINE, "phase", "preparing"));
        assertEquals(1, metrics.value("mediaorch_runner_phase_seconds_count", "engine", ENGINE, "phase", "running"));
        assertEquals(1, metrics.value("mediaorch_runner_phase_seconds_count", "engine", ENGINE, "phase", "uploading"));
        assertEquals(1, metrics.value("mediaorch_runner_jobs_total", "engine", ENGINE, "status", "completed"));
        assertEquals(1, metrics.value("mediaorch_runner_jobs_total", "engine", ENGINE, "status", "failed"));

        // nothing waits or runs any more
        assertEquals(0, metrics.value("mediaorch_jobs_queued", "engine", ENGINE));
        assertEquals(0, metrics.value("mediaorch_jobs_active", "engine", ENGINE));
        assertEquals(0, metrics.value("mediaorch_runner_active_jobs", "engine", ENGINE));
        assertEquals(2, metrics.value("mediaorch_runner_max_concurrency", "engine", ENGINE));
    }

    @Test
    void byteCountersEqualTheObjectSizes() {
        String output = "outputs/by-media/obs-ok/" + okJob + "/video.mp4";
        long videos = size("inputs/videos/obs-ok.mp4") + size("inputs/videos/obs-bad.mp4");
        long subtitles = size("inputs/subtitles/obs-ok.vtt") + size("inputs/subtitles/obs-bad.vtt");
        assertEquals(2L * VTT.length, subtitles);

        // app → bucket
        assertEquals(videos, metrics.value("mediaorch_mirrored_bytes_total", "kind", "video"));
        assertEquals(subtitles, metrics.value("mediaorch_mirrored_bytes_total", "kind", "subtitles"));
        // bucket → runner (fallback mode: /inputs), counted on both ends
        assertEquals(videos, metrics.value("mediaorch_served_bytes_total", "endpoint", "inputs", "kind", "video"));
        assertEquals(subtitles, metrics.value("mediaorch_served_bytes_total", "endpoint", "inputs", "kind", "subtitles"));
        assertEquals(videos, metrics.value("mediaorch_runner_downloaded_bytes_total", "engine", ENGINE, "kind", "video"));
        assertEquals(subtitles, metrics.value("mediaorch_runner_downloaded_bytes_total", "engine", ENGINE, "kind", "subtitles"));
        // runner → bucket (/upload), counted on both ends
        assertEquals(size(output), metrics.value("mediaorch_runner_uploaded_bytes_total", "engine", ENGINE, "kind", "video"));
        assertEquals(size(output), metrics.value("mediaorch_uploaded_bytes_total", "kind", "video"));
        // bucket → app (/artifacts)
        assertEquals(size(output), artifact.length);
        assertEquals(size(output), metrics.value("mediaorch_served_bytes_total", "endpoint", "artifacts", "kind", "video"));
    }

    @Test
    void callbacksRateLimitsAndCamelRouteMetrics() {
        // the app refused the first terminal callback: 3 attempts, 1 failure
        assertEquals(3, metrics.value("mediaorch_callback_attempts_total", "target", "app", "engine", ENGINE));
        assertEquals(1, metrics.value("mediaorch_callback_failures_total", "target", "app", "engine", ENGINE));
        // the runner's phase callbacks to the orchestrator, all taken
        assertTrue(metrics.value("mediaorch_callback_attempts_total", "target", "orchestrator", "engine", ENGINE) >= 6);
        assertEquals(0, metrics.value("mediaorch_callback_failures_total", "target", "orchestrator", "engine", ENGINE));

        assertEquals(1, metrics.value("mediaorch_rate_limited_requests_total", "route", "jobs-create"));

        // Camel's own route metrics land in the same registry
        assertEquals(3, metrics.value("camel_exchanges_total", "routeId", "jobs-create"));
    }

    /** The callbacks' senders are Camel's named pools (ExecutorServiceManager), not plain threads. */
    @Test
    void backgroundWorkRunsOnCamelsNamedPools() {
        Set<String> names = new HashSet<>();
        Thread.getAllStackTraces().keySet().forEach(t -> names.add(t.getName()));
        for (String pool : List.of("runner-callback", "cf-callback")) {
            assertTrue(names.stream().anyMatch(n -> n.matches("Camel \\(.*\\) thread #\\d+ - " + pool)), pool + " not a Camel pool: " + names);
            // (not "no plain thread of that name": unit-style tests in the same JVM build these beans without a context)
        }
    }

    @Test
    void everyLogLineOfAJobCarriesItsJobId() {
        for (String job : List.of(okJob, badJob)) {
            String other = job.equals(okJob) ? badJob : okJob;
            List<ILoggingEvent> lines = logs.about(job);
            for (ILoggingEvent e : lines) {
                String mdc = e.getMDCPropertyMap().get(JobContext.MDC_KEY);
                assertEquals(job, mdc, "MDC of [" + e.getThreadName() + "] " + e.getLoggerName() + ": " + e.getFormattedMessage());
                assertTrue(!e.getFormattedMessage().contains(other), "no line of one job in the other's context: " + e.getFormattedMessage());
            }
            // the lines are there, from the orchestrator and the runner, on every kind of thread that works for a job
            assertLine(lines, "start job " + job);
            assertLine(lines, "[cf-callback] delivered " + job);
            assertLine(lines, "job " + job + " ended: engine=burner-ffmpeg status=" + (job.equals(okJob) ? "completed" : "failed"));
            assertLine(lines, "runner job " + job + " ended: engine=burner-ffmpeg status=" + (job.equals(okJob) ? "completed" : "failed"));
            Set<String> threads = new HashSet<>();
            lines.forEach(e -> threads.add(e.getThreadName().replaceAll("\\d+", "#")));
            assertTrue(threads.stream().anyMatch(t -> t.contains("seda://burner-jobs")), "runner job thread: " + threads);
            assertTrue(threads.stream().anyMatch(t -> t.contains("vert.x-worker")), "request thread: " + threads);
            assertTrue(threads.stream().anyMatch(t -> t.endsWith(" - cf-callback")), "callback sender (a Camel pool): " + threads);
        }
        List<ILoggingEvent> ok = logs.about(okJob);
        assertLine(ok, "inputs ready (job " + okJob + ")");
        assertLine(ok, "ffmpeg done (job " + okJob + ")");
        assertLine(ok, "upload video for job " + okJob);
        assertTrue(logs.about(badJob).stream().anyMatch(e -> e.getFormattedMessage().startsWith("[cf-callback] failed "))
                || ok.stream().anyMatch(e -> e.getFormattedMessage().startsWith("[cf-callback] failed ")), "the refused callback is logged");

        // the summary lines: engine, status, duration, phase times, bytes
        String summary = line(ok, "runner job " + okJob + " ended");
        assertTrue(summary.matches(".* duration=\\d+\\.\\d{3}s phases=queued:[^ ]*preparing:[^ ]*running:[^ ]*uploading:[^ ]* downloadedBytes=\\d+ uploadedBytes="
                + artifact.length + "$"), summary);
        String end = line(ok, "job " + okJob + " ended");
        assertTrue(end.matches(".* attempts=1 phases=queued:.* outputBytes=" + artifact.length + " \\(video:" + artifact.length + "\\)$"), end);
        assertTrue(line(logs.about(badJob), "job " + badJob + " ended").contains("error=\"the input video cannot be read"));
    }

    private static void assertLine(List<ILoggingEvent> lines, String start) {
        line(lines, start);
    }

    private static String line(List<ILoggingEvent> lines, String start) {
        return lines.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith(start)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + start + "' in "
                        + lines.stream().map(ILoggingEvent::getFormattedMessage).toList()));
    }
}
