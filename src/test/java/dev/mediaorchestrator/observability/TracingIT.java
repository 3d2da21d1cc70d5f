package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.OtlpReceiver;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.VideoSite;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Traces across processes (issue 33): the orchestrator (in this JVM) and the runners (the packaged
 * jar in a second JVM, roles burner and downloader) export to one OTLP/HTTP receiver. The app starts
 * each job with its own {@code traceparent}; a burn, a download and a burn that fails (its video is
 * not a video) each make one trace, continuing the app's: POST /jobs, the mirror, the dispatch, the
 * runner's /render, its tools (ffprobe, ffmpeg, yt-dlp, the mp3's ffmpeg), each download and upload,
 * its callbacks, and the terminal callback, whose request carries the trace's {@code traceparent} to
 * the app. Every span's parent is in the trace (nothing left open, also after the failure), the job's
 * identity is on the spans, and the runner's log lines carry the trace id.
 */
@IntegrationTest
class TracingIT {
    private static final Path JAR = Path.of("target/media-orchestrator.jar");
    private static final byte[] VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nTraced\n".getBytes(StandardCharsets.UTF_8);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void eachJobIsOneTraceFromPostJobsToTheTerminalCallbackAcrossProcesses() throws Exception {
        Path dir = TestServers.tempDir("tracing-it");
        Process runner = null;
        RunningApp orchestrator = null;
        byte[] clip = Files.readAllBytes(TestMedia.generateClip(dir.resolve("clip.mp4"), 1.5, true));
        byte[] notAVideo = new byte[30_000];
        new Random(33).nextBytes(notAVideo);
        try (OtlpReceiver otlp = new OtlpReceiver();
             AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
             VideoSite site = new VideoSite(clip, "A traced clip")) {
            next.media("tr-burn", "source", clip).media("tr-burn", "subtitles", VTT)
                    .media("tr-bad", "source", notAVideo).media("tr-bad", "subtitles", VTT);
            int runnerPort = TestServers.freePort();
            runner = startRunner(dir, runnerPort, otlp.endpoint());
            String runners = "http://127.0.0.1:" + runnerPort + "/runners/";
            orchestrator = RunningApp.start(Map.of("ROLES", "orchestrator", "NEXT_BASE_URL", next.base().toString(),
                    "CONTAINER_BASE_URL", runners + "burner-ffmpeg", "CONTAINER_BASE_URL_DOWNLOADER", runners + "media-downloader",
                    "COMPLETION_POLL_INTERVAL_MS", "300", "OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint().toString()));

            Map<String, String> traces = new HashMap<>(); // jobId -> the app's trace id
            Map<String, String> rootSpans = new HashMap<>();
            String burn = submit(orchestrator, Map.of("mediaId", "tr-burn", "engine", "burner-ffmpeg"), traces, rootSpans);
            String download = submit(orchestrator, Map.of("mediaId", "tr-dl", "engine", "media-downloader",
                    "options", Map.of("url", site.pageUrl())), traces, rootSpans);
            String bad = submit(orchestrator, Map.of("mediaId", "tr-bad", "engine", "burner-ffmpeg"), traces, rootSpans);
            for (String job : List.of(burn, download, bad)) {
                Wait.until("the app's callback for " + job, Duration.ofSeconds(120), () -> !next.acceptedFor(job).isEmpty());
                orchestrator.awaitDeliveryRecorded(job);
            }
            assertEquals("completed", next.acceptedFor(burn).get(0).get("status"));
            assertEquals("completed", next.acceptedFor(download).get(0).get("status"));
            assertEquals("failed", next.acceptedFor(bad).get(0).get("status"));

            // the terminal callback's request carries the job's trace
            for (String job : List.of(burn, download, bad)) {
                StubHttpServer.Recorded cb = next.server.requests("/api/render/cf-callback").stream()
                        .filter(r -> r.bodyText().contains(job)).findFirst().orElseThrow();
                String tp = cb.headers().get("traceparent");
                assertTrue(tp != null && tp.matches("00-" + traces.get(job) + "-[0-9a-f]{16}-01"), job + ": traceparent " + tp);
            }

            // the processes stop: what they have not exported yet is flushed
            orchestrator.close();
            orchestrator = null;
            stop(runner);
            String runnerLog = Files.readString(dir.resolve("runner.log"));

            Map<String, List<OtlpReceiver.Span>> byJob = new HashMap<>();
            for (String job : List.of(burn, download, bad)) {
                List<OtlpReceiver.Span> trace = otlp.trace(traces.get(job));
                byJob.put(job, trace);
                String shown = trace.stream().map(String::valueOf).collect(Collectors.joining("\n  "));
                assertFalse(trace.isEmpty(), job + ": no span in its trace");
                // both processes
                assertEquals(Set.of("media-orchestrator", "media-runners"), trace.stream().map(OtlpReceiver.Span::service).collect(Collectors.toSet()), shown);
                // nothing left open: every parent was exported (the app's own span is the root's parent)
                Set<String> ids = trace.stream().map(OtlpReceiver.Span::spanId).collect(Collectors.toSet());
                for (OtlpReceiver.Span s : trace) {
                    assertTrue(ids.contains(s.parentSpanId()) || s.parentSpanId().equals(rootSpans.get(job)),
                            job + ": the parent of " + s + " was never exported (left open?)\n  " + shown);
                    assertTrue(s.endNanos() >= s.startNanos(), s.toString());
                }
                // the job's identity on the spans that are about it
                assertTrue(trace.stream().anyMatch(s -> job.equals(s.attribute("jobId")) && s.attribute("mediaId") != null
                        && s.attribute("engine") != null && s.service().equals("media-orchestrator")), shown);
                assertTrue(trace.stream().anyMatch(s -> job.equals(s.attribute("jobId")) && s.service().equals("media-runners")), shown);
                // the runner's log lines about the job carry its trace id
                assertTrue(runnerLog.lines().anyMatch(l -> l.contains("jobId=" + job) && l.contains("traceId=" + traces.get(job))),
                        job + ": no runner log line with its trace id");
            }
            // Camel's spans (the HTTP requests in, seda, exec) are named by their operation; their endpoint is camel.uri
            assertInOrder(byJob.get(burn), "burn", List.of(
                    "media-orchestrator platform-http:///jobs", "media-orchestrator mirror inputs/videos/tr-burn.mp4",
                    "media-orchestrator POST /runners/burner-ffmpeg/render", "media-runners platform-http:///runners/burner-ffmpeg/render",
                    "media-runners seda://burner-jobs", "media-runners download input video", "media-runners exec://ffprobe",
                    "media-runners exec://ffmpeg", "media-runners upload video", "media-orchestrator POST /api/render/cf-callback"));
            assertInOrder(byJob.get(download), "download", List.of(
                    "media-orchestrator platform-http:///jobs", "media-orchestrator POST /runners/media-downloader/render",
                    "media-runners platform-http:///runners/media-downloader/render", "media-runners seda://downloader-jobs",
                    "media-runners exec://yt-dlp", "media-runners exec://ffmpeg", "media-runners upload audio",
                    "media-orchestrator POST /api/render/cf-callback"));
            assertInOrder(byJob.get(bad), "failed burn", List.of(
                    "media-orchestrator platform-http:///jobs", "media-orchestrator POST /runners/burner-ffmpeg/render",
                    "media-runners exec://ffprobe", "media-orchestrator POST /api/render/cf-callback"));
            for (List<OtlpReceiver.Span> trace : byJob.values()) {
                assertTrue(trace.stream().anyMatch(s -> s.service().equals("media-runners") && s.name().contains("/callbacks/container")
                        && s.kind() == OtlpReceiver.KIND_CLIENT), "the runner's callbacks are in the trace");
            }
            assertTrue(byJob.get(bad).stream().anyMatch(s -> s.statusCode() == OtlpReceiver.STATUS_ERROR && s.service().equals("media-runners")),
                    "the runner's failure is an error span");
            assertTrue(byJob.get(burn).stream().noneMatch(s -> s.statusCode() == OtlpReceiver.STATUS_ERROR), "no error in the completed burn");
            assertTrue(otlp.contentTypes.stream().allMatch(t -> t.startsWith("application/x-protobuf")), otlp.contentTypes.toString());
            // the job store's hand-offs (every change of every job) are no spans: from a timer each would be a trace of its own
            assertTrue(otlp.spans.stream().noneMatch(s -> s.name().contains("job-changed") || s.name().contains("job-terminal")),
                    otlp.spans.stream().filter(s -> s.name().contains("job-")).map(String::valueOf).collect(Collectors.joining("\n  ")));
        } finally {
            if (orchestrator != null) {
                orchestrator.close();
            }
            stop(runner);
            TestServers.deleteRecursively(dir);
        }
    }

    /** Each expected "service name" appears (a span whose name contains it), in this order of start. */
    private static void assertInOrder(List<OtlpReceiver.Span> trace, String what, List<String> expected) {
        int from = 0;
        List<String> seen = new ArrayList<>();
        for (OtlpReceiver.Span s : trace) {
            seen.add(s.service() + " " + s.name() + (s.attribute("camel.uri") == null ? "" : " " + s.attribute("camel.uri")));
        }
        for (String e : expected) {
            int at = -1;
            for (int i = from; i < seen.size(); i++) {
                if (seen.get(i).startsWith(e.substring(0, e.indexOf(' ') + 1)) && seen.get(i).contains(e.substring(e.indexOf(' ') + 1))) {
                    at = i;
                    break;
                }
            }
            if (at < 0) {
                fail(what + ": no span '" + e + "' after position " + from + " in\n  " + String.join("\n  ", seen));
            }
            from = at + 1;
        }
    }

    /** POST /jobs as the app, with the app's own trace context; returns the job id and keeps the trace id. */
    private static String submit(RunningApp app, Map<String, Object> fields, Map<String, String> traces, Map<String, String> roots) throws Exception {
        Random r = new Random();
        byte[] t = new byte[16];
        byte[] s = new byte[8];
        r.nextBytes(t);
        r.nextBytes(s);
        String traceId = HexFormat.of().formatHex(t);
        String spanId = HexFormat.of().formatHex(s);
        Map<String, Object> body = new HashMap<>(fields);
        body.put("ts", System.currentTimeMillis());
        HttpResponse<String> resp = app.postRaw("/jobs", dev.mediaorchestrator.common.Json.writeBytes(body),
                Map.of("traceparent", "00-" + traceId + "-" + spanId + "-01"));
        assertEquals(202, resp.statusCode(), resp.body());
        String jobId = (String) json(resp).get("jobId");
        traces.put(jobId, traceId);
        roots.put(jobId, spanId);
        return jobId;
    }

    private Process startRunner(Path dir, int port, URI otlp) throws IOException {
        Files.createDirectories(dir.resolve("work"));
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString())
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("runner.log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("R2_") || k.startsWith("OTEL_") || k.equals("ROLES"));
        pb.environment().putAll(Map.of("HOST", "127.0.0.1", "PORT", String.valueOf(port), "ROLES", "burner,downloader",
                "JOB_CALLBACK_HMAC_SECRET", RunningApp.SECRET, "RUNNER_WORK_DIR", dir.resolve("work").toString(),
                "BURNER_X264_PRESET", "ultrafast", "DOWNLOADER_ALLOW_PRIVATE_NETWORKS", "true",
                "OTEL_EXPORTER_OTLP_ENDPOINT", otlp.toString(), "OTEL_SERVICE_NAME", "media-runners", "LANG", "C.UTF-8"));
        Process p = pb.start();
        Wait.until("the runner process to answer", Duration.ofSeconds(90), () -> {
            try {
                return p.isAlive() && http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        return p;
    }

    private static void stop(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
