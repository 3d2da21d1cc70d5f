package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static dev.mediaorchestrator.support.Put.put;
import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Integration: the embedded S3 server, a real local HTTP server standing in for the Next app and
 * another for the runner. Mirroring is streamed and byte-identical, done once per media, and the
 * presigned URLs the runner gets work for exactly one object and Content-Type.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MirrorAndPresignTest {
    static final int SOURCE_SIZE = 5 * 1024 * 1024;
    private final byte[] source = new byte[SOURCE_SIZE];
    private final byte[] big = new byte[9 * 1024 * 1024 + 5];
    private final byte[] vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n你好\n".getBytes(StandardCharsets.UTF_8);
    private final HttpClient http = HttpClient.newHttpClient();
    private StubHttpServer next;
    private StubHttpServer runner;
    private RunningApp app;
    private RunningApp shortTtlApp;

    @BeforeAll
    void start() throws Exception {
        new Random(42).nextBytes(source);
        new Random(43).nextBytes(big);
        next = new StubHttpServer();
        next.on("/api/media/", ex -> {
            next.record(ex);
            String p = ex.getRequestURI().getPath();
            if (p.endsWith("/source") && p.contains("/broken/")) {
                // declares 12 MiB, sends 9 MiB, then drops the connection
                ex.sendResponseHeaders(200, 12L * 1024 * 1024);
                OutputStream out = ex.getResponseBody();
                byte[] chunk = new byte[1024 * 1024];
                for (int i = 0; i < 9; i++) {
                    out.write(chunk);
                }
                out.flush();
                // closing the exchange now ends the response 3 MiB short of its Content-Length
            } else if (p.endsWith("/source") && p.contains("/sized/")) {
                // a declared length of more than one part: mirrored in one PUT straight from the stream
                ex.sendResponseHeaders(200, big.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(big);
                }
            } else if (p.endsWith("/source")) {
                ex.getResponseHeaders().set("content-type", "video/mp4");
                ex.sendResponseHeaders(200, 0); // chunked: length unknown to the orchestrator
                try (OutputStream out = ex.getResponseBody()) {
                    for (int off = 0; off < source.length; off += 65536) {
                        out.write(source, off, Math.min(65536, source.length - off));
                    }
                }
            } else if (p.contains("/hugevtt/")) {
                // subtitles declared one byte over MAX_SUBTITLES_BYTES (its default): refused before a byte is read
                ex.sendResponseHeaders(200, Config.DEFAULT_MAX_SUBTITLES_BYTES + 1);
                try (OutputStream out = ex.getResponseBody()) {
                    byte[] chunk = new byte[64 * 1024];
                    for (long left = Config.DEFAULT_MAX_SUBTITLES_BYTES + 1; left > 0; left -= chunk.length) {
                        out.write(chunk, 0, (int) Math.min(chunk.length, left));
                    }
                } catch (IOException e) {
                    // the orchestrator hung up: expected
                }
            } else if (p.contains("/chunkedvtt/")) {
                // subtitles over MAX_SUBTITLES_BYTES without a declared length (chunked): bounded while they stream
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                    byte[] chunk = "00:00.000 --> 00:01.000\ncue\n\n".repeat(2048).getBytes(StandardCharsets.UTF_8);
                    for (long sent = 0; sent <= 2L * Config.DEFAULT_MAX_SUBTITLES_BYTES; sent += chunk.length) {
                        out.write(chunk);
                    }
                } catch (IOException e) {
                    // the orchestrator hung up: expected
                }
            } else {
                StubHttpServer.respond(ex, 200, "text/vtt", vtt);
            }
        });
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            runner.record(ex);
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
        });
        app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                "CONTAINER_BASE_URL", runner.base().toString(), "TRANSFER_MODE", "direct"));
        shortTtlApp = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                "CONTAINER_BASE_URL", runner.base().toString(), "TRANSFER_MODE", "direct", "PRESIGN_TTL_SECONDS", "1"));
    }

    @AfterAll
    void stop() {
        app.close();
        shortTtlApp.close();
        next.close();
        runner.close();
    }

    private Map<String, Object> body(String mediaId) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("mediaId", mediaId);
        b.put("engine", "burner-ffmpeg");
        b.put("options", Map.of("subtitleConfig", Map.of("fontSize", 40)));
        b.put("ts", System.currentTimeMillis());
        return b;
    }

    private Map<String, Object> dispatched(String jobId) {
        return runner.requests("/render").stream()
                .map(r -> Json.parseObject(r.body()))
                .filter(m -> jobId.equals(m.get("jobId")))
                .findFirst().orElseThrow();
    }

    @Test
    void mirrorsAFiveMegabyteSourceByteIdenticalOnceAndPresignsIt() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("media5mb"));
        assertEquals(202, r.statusCode(), r.body());
        String jobId = (String) json(r).get("jobId");
        try (InputStream in = app.app.storage().get("inputs/videos/media5mb.mp4", null, null)) {
            assertArrayEquals(source, in.readAllBytes());
        }
        assertEquals("video/mp4", app.app.storage().head("inputs/videos/media5mb.mp4").orElseThrow().contentType());
        assertEquals(1, next.requests("/api/media/media5mb/source").size());

        HttpResponse<String> second = app.postSigned("/jobs", body("media5mb"));
        assertEquals(202, second.statusCode());
        assertTrue(!jobId.equals(json(second).get("jobId")));
        assertEquals(1, next.requests("/api/media/media5mb/source").size(), "already in the bucket: not fetched again");
        assertEquals(1, next.requests("/api/media/media5mb/subtitles").size());

        Map<String, Object> payload = dispatched(jobId);
        assertEquals("media5mb", payload.get("mediaId"));
        assertEquals("burner-ffmpeg", payload.get("engine"));
        assertEquals(Map.of("subtitleConfig", Map.of("fontSize", 40)), payload.get("engineOptions"));
        assertEquals(app.base + "/callbacks/container", payload.get("callbackUrl"));
        String outputKey = "outputs/by-media/media5mb/" + jobId + "/video.mp4";
        assertEquals(outputKey, payload.get("outputVideoKey"));

        HttpResponse<byte[]> video = http.send(HttpRequest.newBuilder(URI.create((String) payload.get("inputVideoUrl"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, video.statusCode());
        assertArrayEquals(source, video.body());
        HttpResponse<byte[]> subs = http.send(HttpRequest.newBuilder(URI.create((String) payload.get("inputVttUrl"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(vtt, subs.body());
        // one object each: the video URL does not open the subtitles
        URI otherObject = URI.create(((String) payload.get("inputVideoUrl")).replace("inputs/videos/media5mb.mp4", "inputs/subtitles/media5mb.vtt"));
        assertEquals(403, http.send(HttpRequest.newBuilder(otherObject).build(), HttpResponse.BodyHandlers.discarding()).statusCode());

        URI put = URI.create((String) payload.get("outputPutUrl"));
        byte[] out = "rendered".getBytes();
        assertEquals(403, put(put, "application/octet-stream", out), "another Content-Type");
        URI otherKey = URI.create(put.toString().replace(jobId + "/video.mp4", jobId + "/evil.mp4"));
        assertEquals(403, put(otherKey, "video/mp4", out), "another key");
        assertFalse(app.app.storage().exists(outputKey));
        assertEquals(200, put(put, "video/mp4", out));
        assertEquals(out.length, app.app.storage().head(outputKey).orElseThrow().size());
    }

    @Test
    void inputUrlsExpireAfterTheTtlOutputUrlsAtTheJobsDeadline() throws Exception {
        HttpResponse<String> r = shortTtlApp.postSigned("/jobs", body("mediattl"));
        assertEquals(202, r.statusCode(), r.body());
        Map<String, Object> payload = dispatched((String) json(r).get("jobId"));
        Thread.sleep(2100);
        assertEquals(403, http.send(HttpRequest.newBuilder(URI.create((String) payload.get("inputVideoUrl"))).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode(), "an input URL lives PRESIGN_TTL_SECONDS");
        String out = (String) payload.get("outputPutUrl");
        long expires = Long.parseLong(out.replaceAll(".*[?&]X-Amz-Expires=(\\d+).*", "$1"));
        assertTrue(expires >= 7200 && expires <= 7200 + 600, "an output URL lives until the job's deadline (2 h + 10 min): " + expires);
        assertEquals(200, put(URI.create(out), "video/mp4", "late".getBytes()), "a job longer than the TTL can still upload");
        assertEquals(403, put(URI.create(out), "audio/mpeg", "late".getBytes()), "with its own Content-Type only");
    }

    @Test
    void aSourceWithALengthOverOnePartIsMirroredByteIdentical() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("sized"));
        assertEquals(202, r.statusCode(), r.body());
        try (InputStream in = app.app.storage().get("inputs/videos/sized.mp4", null, null)) {
            assertArrayEquals(big, in.readAllBytes());
        }
        assertEquals("video/mp4", app.app.storage().head("inputs/videos/sized.mp4").orElseThrow().contentType());
    }

    @Test
    void subtitlesDeclaredOverTheLimitAre400NamingIt() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("hugevtt"));
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("subtitles are " + (Config.DEFAULT_MAX_SUBTITLES_BYTES + 1)
                + " bytes, more than MAX_SUBTITLES_BYTES (" + Config.DEFAULT_MAX_SUBTITLES_BYTES + ")", json(r).get("error"));
        assertFalse(app.app.storage().exists("inputs/subtitles/hugevtt.vtt"));
        assertTrue(runner.requests("/render").stream().noneMatch(x -> x.bodyText().contains("\"hugevtt\"")));
    }

    /** Before: chunked subtitles were mirrored whole (any size) and the job failed later at the burner. */
    @Test
    void subtitlesOverTheLimitWithoutALengthAre400AndLeaveNoObject() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("chunkedvtt"));
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("subtitles are more than MAX_SUBTITLES_BYTES (" + Config.DEFAULT_MAX_SUBTITLES_BYTES + ") bytes", json(r).get("error"));
        assertFalse(app.app.storage().exists("inputs/subtitles/chunkedvtt.vtt"));
        assertTrue(runner.requests("/render").stream().noneMatch(x -> x.bodyText().contains("\"chunkedvtt\"")));
    }

    @Test
    void aSourceThatBreaksMidStreamIs502AndLeavesNoObject() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("broken"));
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("fetch source failed", json(r).get("error"));
        assertFalse(app.app.storage().exists("inputs/videos/broken.mp4"));
        assertTrue(runner.requests("/render").stream().noneMatch(x -> x.bodyText().contains("\"broken\"")));
    }
}
