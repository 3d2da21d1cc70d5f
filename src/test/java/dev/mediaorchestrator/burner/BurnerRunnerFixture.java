package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * What the burner route tests share: a {@link StubHttpServer} that serves inputs under
 * {@code /in/}, takes the output {@code PUT} under {@code /out/{jobId}} and the callbacks under
 * {@code /callbacks/container} (answering 2xx, recording everything), a temp directory owned by
 * the test class (media, and the runner's {@code RUNNER_WORK_DIR}), and the contract's
 * {@code /render} payload.
 */
final class BurnerRunnerFixture {
    /** Two cues in the contract's format: English line, then Chinese line (leading "- " dropped). */
    static final String BILINGUAL_VTT = """
            WEBVTT

            1
            00:00.500 --> 00:03.000
            Hello there
            - 你好

            00:00:03.500 --> 00:00:25.000 align:center
            Subtitles stay readable
            字幕清晰可读
            """;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    final StubHttpServer server = new StubHttpServer();
    final TestMedia.TempDir root;
    final Path workDir;

    BurnerRunnerFixture(String prefix) {
        root = TestMedia.tempDir(prefix + "-");
        workDir = root.resolve("runner work");
        server.on("/callbacks/", ex -> {
            server.record(ex);
            StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes());
        });
        server.on("/out/", ex -> {
            server.record(ex);
            StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes());
        });
    }

    /** The burner role alone, with its work dir in this fixture's temp dir; {@code env} overrides. */
    RunningApp startApp(Map<String, String> env) throws Exception {
        Map<String, String> all = new HashMap<>();
        all.put("ROLES", "burner");
        all.put("RUNNER_WORK_DIR", workDir.toString());
        all.put("BURNER_X264_PRESET", "ultrafast");
        all.putAll(env);
        return RunningApp.start(all);
    }

    Path media(String name) {
        return root.resolve(name);
    }

    /** Serves {@code file} (streamed) at exactly {@code path}. */
    void serveFile(String path, Path file, String contentType) {
        server.on(path, ex -> {
            server.record(ex);
            ex.getResponseHeaders().set("content-type", contentType);
            ex.sendResponseHeaders(200, Files.size(file));
            try (InputStream in = Files.newInputStream(file); OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
            }
        });
    }

    void serveBytes(String path, byte[] bytes, String contentType) {
        server.on(path, ex -> {
            server.record(ex);
            StubHttpServer.respond(ex, 200, contentType, bytes);
        });
    }

    void serveStatus(String path, int status) {
        server.on(path, ex -> {
            server.record(ex);
            StubHttpServer.respond(ex, status, "text/plain", ("status " + status).getBytes());
        });
    }

    /** The contract's burner {@code /render} body, with URLs on the stub server. */
    Map<String, Object> payload(String jobId, String videoPath, String vttPath) {
        String base = server.base().toString();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobId", jobId);
        p.put("mediaId", "m-" + jobId.substring(4, 12));
        p.put("engine", "burner-ffmpeg");
        p.put("callbackUrl", base + "/callbacks/container");
        p.put("engineOptions", Map.of("subtitleConfig", Map.of("fontSize", 36)));
        p.put("ts", System.currentTimeMillis());
        p.put("nonce", UUID.randomUUID().toString());
        // the query names the job, so a test can tell whose download a request was
        p.put("inputVideoUrl", base + videoPath + "?job=" + jobId + "&X-Amz-Signature=abc");
        p.put("inputVttUrl", base + vttPath + "?job=" + jobId + "&X-Amz-Signature=def");
        p.put("outputPutUrl", base + "/out/" + jobId + "?X-Amz-Signature=ghi");
        p.put("outputVideoKey", "outputs/by-media/" + p.get("mediaId") + "/" + jobId + "/video.mp4");
        return p;
    }

    /** The callback requests for {@code jobId}, in arrival order. */
    List<StubHttpServer.Recorded> callbackRequests(String jobId) {
        return server.requests("/callbacks/").stream()
                .filter(r -> jobId.equals(Json.parseObject(r.body()).get("jobId"))).toList();
    }

    static List<Map<String, Object>> callbacksFor(StubHttpServer server, String jobId) {
        return server.requests("/callbacks/").stream().map(r -> Json.parseObject(r.body()))
                .filter(m -> jobId.equals(m.get("jobId"))).toList();
    }

    static List<String> statuses(List<Map<String, Object>> callbacks) {
        return callbacks.stream().map(m -> String.valueOf(m.get("status"))).toList();
    }

    /** Waits for the job's terminal callback and returns it. */
    Map<String, Object> awaitTerminal(String jobId) {
        Wait.until("a terminal callback for " + jobId, Duration.ofSeconds(90), () -> terminal(jobId) != null);
        return terminal(jobId);
    }

    private Map<String, Object> terminal(String jobId) {
        return callbacksFor(server, jobId).stream()
                .filter(m -> "completed".equals(m.get("status")) || "failed".equals(m.get("status")))
                .findFirst().orElse(null);
    }

    /** Waits until the runner runs no job (its slots are free and its temp dirs removed). */
    static void awaitIdle(RunningApp app) {
        Wait.until("the runner to be idle", Duration.ofSeconds(30), () -> {
            try {
                HttpResponse<String> r = app.get("/healthz");
                return r.statusCode() == 200 && ((Number) RunningApp.json(r).get("active")).intValue() == 0;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** What is left in the runner's work dir (nothing, after any job). */
    String[] workDirEntries() {
        if (!Files.exists(workDir)) {
            return new String[0];
        }
        try (Stream<Path> s = Files.walk(workDir)) {
            return s.filter(p -> !p.equals(workDir)).map(p -> workDir.relativize(p).toString()).sorted().toArray(String[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String newJobId() {
        StringBuilder b = new StringBuilder("job_");
        for (int i = 0; i < 26; i++) {
            b.append(BASE32[RANDOM.nextInt(32)]);
        }
        return b.toString();
    }

    void close(RunningApp... apps) {
        try {
            for (RunningApp app : apps) {
                if (app != null) {
                    app.close();
                }
            }
        } finally {
            server.close();
            root.close();
        }
    }
}
