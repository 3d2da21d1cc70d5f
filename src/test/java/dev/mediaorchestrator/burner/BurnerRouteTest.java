package dev.mediaorchestrator.burner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.mediaorchestrator.burner.BurnerRunnerFixture.awaitIdle;
import static dev.mediaorchestrator.burner.BurnerRunnerFixture.statuses;
import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;

/**
 * Issue 3 acceptance, the route test: the burner role alone in-process, a real local HTTP server
 * serving the inputs and receiving the output {@code PUT} and the callbacks, and a signed
 * {@code /render} with the contract's payload. The clip is 30 s at 320×180 and the preset the
 * contract's {@code medium}, so that ffmpeg runs across several ticks of the 1 s progress timer.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BurnerRouteTest {
    private static final double CLIP_SECONDS = 30;

    private BurnerRunnerFixture fx;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        fx = new BurnerRunnerFixture("burner-route");
        TestMedia.generateClip(fx.media("clip.mp4"), CLIP_SECONDS, true);
        fx.serveFile("/in/clip.mp4", fx.media("clip.mp4"), "video/mp4");
        fx.serveBytes("/in/subs.vtt", BurnerRunnerFixture.BILINGUAL_VTT.getBytes(StandardCharsets.UTF_8), "text/vtt");
        app = fx.startApp(Map.of("BURNER_X264_PRESET", "medium"));
    }

    @AfterAll
    void stop() {
        if (fx != null) {
            fx.close(app);
        }
    }

    @Test
    void signedRenderBurnsUploadsAndCallsBackInOrder() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        Map<String, Object> payload = fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt");
        long sentAt = System.currentTimeMillis();

        HttpResponse<String> r = app.postSigned("/render", payload);

        assertEquals(202, r.statusCode(), r.body());
        assertEquals(Map.of("jobId", jobId, "runnerUrl", app.base.toString()), json(r), "the job, and where the runner is reached");

        Map<String, Object> terminal = fx.awaitTerminal(jobId);
        assertEquals("completed", terminal.get("status"), "terminal callback: " + terminal);
        awaitIdle(app);

        // The output: one PUT, video/mp4, a playable h264/aac mp4 of the input's size and length.
        List<StubHttpServer.Recorded> puts = fx.server.requests("/out/" + jobId);
        assertEquals(1, puts.size(), "one upload");
        StubHttpServer.Recorded put = puts.get(0);
        assertEquals("PUT", put.method());
        assertEquals("video/mp4", put.headers().get("content-type"));
        Path received = fx.media(jobId + "-received.mp4");
        Files.write(received, put.body());
        JsonNode probe = TestMedia.probe(received);
        List<JsonNode> video = TestMedia.streams(probe, "video");
        List<JsonNode> audio = TestMedia.streams(probe, "audio");
        assertEquals(1, video.size());
        assertEquals(1, audio.size());
        assertEquals("h264", video.get(0).path("codec_name").asText());
        assertEquals("yuv420p", video.get(0).path("pix_fmt").asText());
        assertEquals(320, video.get(0).path("width").asInt());
        assertEquals(180, video.get(0).path("height").asInt());
        assertEquals("aac", audio.get(0).path("codec_name").asText());
        double duration = probe.path("format").path("duration").asDouble();
        assertTrue(Math.abs(duration - CLIP_SECONDS) < 0.5, "output lasts as long as the input: " + duration);
        List<String> boxes = TestMedia.topLevelBoxes(received);
        assertTrue(boxes.indexOf("moov") >= 0 && boxes.indexOf("moov") < boxes.indexOf("mdat"), "faststart: " + boxes);

        // The callbacks: preparing → running (several, increasing) → uploading → completed.
        List<StubHttpServer.Recorded> recorded = fx.callbackRequests(jobId);
        List<Map<String, Object>> callbacks = new ArrayList<>();
        Hmac hmac = new Hmac(RunningApp.SECRET);
        Set<String> nonces = new HashSet<>();
        for (StubHttpServer.Recorded c : recorded) {
            assertEquals("POST", c.method());
            assertTrue(hmac.verify(c.body(), c.headers().get("x-signature")), "valid x-signature on " + c.bodyText());
            Map<String, Object> body = Json.parseObject(c.body());
            callbacks.add(body);
            assertEquals(jobId, body.get("jobId"));
            assertEquals(body.get("status"), body.get("phase"), c.bodyText());
            Object ts = body.get("ts");
            assertTrue(ts instanceof Number n && n.longValue() >= sentAt - 1000 && n.longValue() <= System.currentTimeMillis(),
                    "ts is the sending time: " + c.bodyText());
            String nonce = (String) body.get("nonce");
            assertNotNull(nonce, c.bodyText());
            assertEquals(nonce, UUID.fromString(nonce).toString(), "nonce is a UUID");
            assertTrue(nonces.add(nonce), "fresh nonce on every callback: " + nonce);
        }
        List<String> statuses = statuses(callbacks);
        assertEquals(List.of("preparing", "running", "uploading", "completed"), collapse(statuses), "order: " + statuses);
        assertEquals(1, statuses.stream().filter("preparing"::equals).count());
        // one move to uploading, then the report of the uploaded video's provenance (same phase, with outputs)
        assertEquals(1, callbacks.stream().filter(c -> "uploading".equals(c.get("status")) && c.get("outputs") == null).count());
        Map<?, ?> reported = (Map<?, ?>) callbacks.stream().filter(c -> "uploading".equals(c.get("status")) && c.get("outputs") != null)
                .findFirst().orElseThrow().get("outputs");
        assertTrue(((Map<?, ?>) reported.get("video")).get("sha256") instanceof String, "provenance reported: " + reported);
        assertEquals(1, statuses.stream().filter("completed"::equals).count());

        // (the provenance report repeats the phase and its progress; so does the runner's report every
        // 5 s while a tool runs without moving, which a loaded machine shows: [.., 0.2, 0.2, ..])
        List<Double> progress = callbacks.stream().filter(m -> "completed".equals(m.get("status")) || m.get("outputs") == null)
                .map(m -> ((Number) m.get("progress")).doubleValue()).toList();
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i) >= progress.get(i - 1), "progress never goes back: " + progress);
        }
        for (int i = 1; i < callbacks.size(); i++) {
            boolean samePhase = Objects.equals(callbacks.get(i).get("status"), callbacks.get(i - 1).get("status"));
            assertTrue(samePhase || ((Number) callbacks.get(i).get("progress")).doubleValue() > ((Number) callbacks.get(i - 1).get("progress")).doubleValue(),
                    "each new phase moves progress on: " + progress);
        }
        assertEquals(0.05, progress.get(0), 1e-9);
        List<Double> running = callbacks.stream().filter(m -> "running".equals(m.get("status")))
                .map(m -> ((Number) m.get("progress")).doubleValue()).toList();
        assertTrue(running.size() >= 2, "several running progress values: " + running);
        assertEquals(0.2, running.get(0), 1e-9);
        assertTrue(running.stream().allMatch(p -> p >= 0.2 && p <= 0.9), "running stays in 0.2..0.9: " + running);
        assertEquals(0.95, progress.get(progress.size() - 2), 1e-9);
        Map<String, Object> completed = callbacks.get(callbacks.size() - 1);
        assertEquals(1.0, ((Number) completed.get("progress")).doubleValue(), 1e-9);
        assertEquals(payload.get("outputVideoKey"), completed.get("outputKey"));
        Map<?, ?> out = (Map<?, ?>) ((Map<?, ?>) completed.get("outputs")).get("video");
        assertEquals(payload.get("outputVideoKey"), out.get("key"));
        assertEquals("video/mp4", out.get("contentType"));
        assertEquals(((Number) out.get("size")).longValue(), fx.server.requests("/out/" + jobId).get(0).body().length, "size as sent");
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(fx.server.requests("/out/" + jobId).get(0).body())), out.get("sha256"), "sha256 of the bytes sent");
        assertTrue(((Map<?, ?>) completed.get("tools")).containsKey("ffmpeg"), "tools: " + completed.get("tools"));
        assertTrue(callbacks.stream().noneMatch(m -> m.containsKey("error")), "no error on a good job");

        // The runner's local view, and nothing left on disk.
        HttpResponse<String> status = app.get("/status/" + jobId);
        assertEquals(200, status.statusCode());
        assertEquals("completed", json(status).get("status"));
        assertEquals(1.0, ((Number) json(status).get("progress")).doubleValue(), 1e-9);
        assertArrayEquals(new String[0], fx.workDirEntries(), "work dir is empty");
    }

    @Test
    void healthzAndUnknownStatus() throws Exception {
        HttpResponse<String> health = app.get("/healthz");
        assertEquals(200, health.statusCode());
        assertEquals(true, json(health).get("ok"));
        assertTrue(health.headers().firstValue("content-type").orElse("").startsWith("application/json"));

        HttpResponse<String> unknown = app.get("/status/job_doesnotexist");
        assertEquals(404, unknown.statusCode());
        assertEquals(Map.of("error", "not found"), json(unknown));
    }

    /** The statuses with repeats folded: [a, b, b, c] → [a, b, c]. */
    static List<String> collapse(List<String> statuses) {
        List<String> out = new ArrayList<>();
        for (String s : statuses) {
            if (out.isEmpty() || !out.get(out.size() - 1).equals(s)) {
                out.add(s);
            }
        }
        return out;
    }
}
