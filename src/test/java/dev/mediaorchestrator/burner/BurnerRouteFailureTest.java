package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.mediaorchestrator.burner.BurnerRunnerFixture.awaitIdle;
import static dev.mediaorchestrator.burner.BurnerRunnerFixture.callbacksFor;
import static dev.mediaorchestrator.burner.BurnerRunnerFixture.statuses;
import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 3 acceptance, the failure side of {@code /render}: failed inputs and media become a
 * {@code failed} callback with a readable error, bad requests are refused before any job exists,
 * capacity is enforced with {@code 429 busy}, a repeated {@code /render} is one job, and no temp
 * file remains after any of them (checked after every test).
 *
 * <p>Two runners: {@code app} checks signatures (the default), {@code lenient} runs one job at a
 * time and has {@code RUNNER_REQUIRE_SIGNATURE=false}.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BurnerRouteFailureTest {
    private BurnerRunnerFixture fx;
    private RunningApp app;
    private RunningApp lenient;

    @BeforeAll
    void start() throws Exception {
        fx = new BurnerRunnerFixture("burner-fail");
        TestMedia.generateClip(fx.media("clip.mp4"), 4, true);
        fx.serveFile("/in/clip.mp4", fx.media("clip.mp4"), "video/mp4");
        fx.serveBytes("/in/subs.vtt", BurnerRunnerFixture.BILINGUAL_VTT.getBytes(StandardCharsets.UTF_8), "text/vtt");
        fx.serveStatus("/in/missing", 404);
        byte[] noise = new byte[64 * 1024];
        new Random(42).nextBytes(noise);
        fx.serveBytes("/in/corrupt.mp4", noise, "video/mp4");
        fx.serveBytes("/in/garbled.mp4", garbleMdat(Files.readAllBytes(fx.media("clip.mp4"))), "video/mp4");
        fx.server.on("/out-denied/", ex -> {
            fx.server.record(ex);
            StubHttpServer.respond(ex, 403, "application/xml", "<Error><Code>SignatureDoesNotMatch</Code></Error>".getBytes());
        });
        fx.serveBytes("/in/big.vtt", bigVtt(), "text/vtt");
        fx.serveBytes("/in/gbk.vtt", (GBK_PREFIX + "你好\n").getBytes("GBK"), "text/vtt");
        fx.serveBytes("/in/bad-hour.vtt", BAD_HOUR_VTT.getBytes(StandardCharsets.UTF_8), "text/vtt");
        app = fx.startApp(Map.of("RUNNER_MAX_CONCURRENCY", "2", "MAX_SUBTITLES_BYTES", String.valueOf(MAX_SUBTITLES)));
        lenient = fx.startApp(Map.of("RUNNER_MAX_CONCURRENCY", "1", "RUNNER_REQUIRE_SIGNATURE", "false"));
    }

    @AfterAll
    void stop() {
        if (fx != null) {
            fx.close(app, lenient);
        }
    }

    /** Whatever the test did, both runners end idle with an empty work dir. */
    @AfterEach
    void nothingLeftOnDisk() {
        awaitIdle(app);
        awaitIdle(lenient);
        assertArrayEquals(new String[0], fx.workDirEntries(), "work dir is empty");
    }

    @Test
    void inputVideo404FailsNamingTheInput() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        String error = renderExpectingFailure(fx.payload(jobId, "/in/missing/video.mp4", "/in/subs.vtt"));

        assertEquals("download of input video failed: HTTP 404", error);
        assertEquals(List.of("preparing", "failed"), statuses(callbacksFor(fx.server, jobId)));
        assertSigned(jobId);
        Map<String, Object> status = json(app.get("/status/" + jobId));
        assertEquals("failed", status.get("status"));
        assertEquals("download of input video failed: HTTP 404", status.get("error"));
    }

    @Test
    void subtitles404FailsNamingTheSubtitles() throws Exception {
        String error = renderExpectingFailure(fx.payload(BurnerRunnerFixture.newJobId(), "/in/clip.mp4", "/in/missing/subs.vtt"));

        assertEquals("download of subtitles failed: HTTP 404", error);
    }

    @Test
    void corruptVideoFailsWithFfprobesMessage() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        String error = renderExpectingFailure(fx.payload(jobId, "/in/corrupt.mp4", "/in/subs.vtt"));

        assertTrue(error.startsWith("the input video cannot be read: "), error);
        assertTrue(error.contains("Invalid data found when processing input"), "ffprobe's own message: " + error);
        assertFalse(error.contains("X-Amz-Signature"), "no URL in the error: " + error);
        // files are named relative to the job: no absolute work-dir path (issue 28)
        assertTrue(error.lines().anyMatch(l -> l.equals("input.mp4: Invalid data found when processing input")), error);
        assertFalse(error.contains(fx.workDir.toString()) || error.contains("file:") || error.contains("/input.mp4"), error);
        assertEquals(List.of("preparing", "failed"), statuses(callbacksFor(fx.server, jobId)));
        assertSigned(jobId);
    }

    @Test
    void undecodableVideoFailsWithFfmpegsMessage() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        String error = renderExpectingFailure(fx.payload(jobId, "/in/garbled.mp4", "/in/subs.vtt"));

        assertTrue(error.startsWith("ffmpeg failed: "), error);
        assertTrue(error.contains("Error while decoding stream #0:0: Invalid data found when processing input"), "ffmpeg's own lines: " + error);
        assertTrue(error.lines().count() <= FfmpegErrors.DEFAULT_MAX_LINES, "the last lines only: " + error);
        assertEquals(List.of("preparing", "running", "failed"), BurnerRouteTest.collapse(statuses(callbacksFor(fx.server, jobId))));
    }

    /** MAX_SUBTITLES_BYTES of the strict runner; the big VTT is over it. */
    private static final int MAX_SUBTITLES = 64 * 1024;
    private static final String GBK_PREFIX = "WEBVTT\n\n00:00.500 --> 00:03.000\nHello\n";
    /** Three cues, the second with a 20-digit hour (a number no long holds). */
    private static final String BAD_HOUR_VTT = """
            WEBVTT

            00:00.500 --> 00:01.500
            First
            第一

            12345678901234567890:00:01.000 --> 12345678901234567890:00:02.000
            Unreadable
            读不了

            00:02.000 --> 00:03.000
            Third
            第三
            """;

    private static byte[] bigVtt() {
        StringBuilder b = new StringBuilder("WEBVTT\n\n");
        for (int i = 0; b.length() <= MAX_SUBTITLES; i++) {
            b.append(String.format("00:%02d.000 --> 00:%02d.500%nLine %d%n第 %d 行%n%n", i % 60, i % 60, i, i));
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void subtitlesOverTheLimitFailTheJobNamingIt() throws Exception {
        String error = renderExpectingFailure(fx.payload(BurnerRunnerFixture.newJobId(), "/in/clip.mp4", "/in/big.vtt"));
        assertEquals("subtitles are " + bigVtt().length + " bytes, more than MAX_SUBTITLES_BYTES (" + MAX_SUBTITLES + ")", error);
    }

    @Test
    void subtitlesThatAreNotUtf8FailSayingWhere() throws Exception {
        String error = renderExpectingFailure(fx.payload(BurnerRunnerFixture.newJobId(), "/in/clip.mp4", "/in/gbk.vtt"));
        assertEquals("subtitles are not UTF-8 (byte 0xC4 at offset " + GBK_PREFIX.length()
                + "); save them as UTF-8 (UTF-16 with a byte order mark is read too)", error);
    }

    @Test
    void aCueWhoseTimeCannotBeReadIsSkippedAndCounted() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs = new ch.qos.logback.core.read.ListAppender<>();
        ch.qos.logback.classic.Logger steps = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(BurnerSteps.class);
        logs.start();
        steps.addAppender(logs);
        try {
            String jobId = BurnerRunnerFixture.newJobId();
            assertEquals(202, app.postSigned("/render", fx.payload(jobId, "/in/clip.mp4", "/in/bad-hour.vtt")).statusCode());
            Map<String, Object> terminal = fx.awaitTerminal(jobId);
            assertEquals("completed", terminal.get("status"), "terminal callback: " + terminal);
            List<String> skipped;
            synchronized (logs) {
                skipped = logs.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                        .filter(m -> m.contains(jobId) && m.contains("skipped")).toList();
            }
            assertEquals(List.of("job " + jobId + ": 1 subtitle cue skipped (times that cannot be read, or an end not after the start)"),
                    skipped, "one line per job with the count");
        } finally {
            steps.detachAppender(logs);
        }
    }

    @Test
    void refusedUploadFailsAfterTheRender() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        Map<String, Object> payload = fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt");
        payload.put("outputPutUrl", fx.server.base() + "/out-denied/" + jobId + "?X-Amz-Signature=expired");

        assertEquals("upload of video failed: HTTP 403", renderExpectingFailure(payload));
        assertEquals(List.of("preparing", "running", "uploading", "failed"), BurnerRouteTest.collapse(statuses(callbacksFor(fx.server, jobId))));
        assertEquals(1, fx.server.requests("/out-denied/" + jobId).size(), "the upload was tried once");
    }

    @Test
    void badOrMissingSignatureIs401AndStartsNothing() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        byte[] body = Json.writeBytes(fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt"));

        HttpResponse<String> wrongKey = app.postRaw("/render", body, Map.of("x-signature", new Hmac("another-secret").sign(body)));
        assertEquals(401, wrongKey.statusCode());
        assertEquals(Map.of("error", "invalid signature"), json(wrongKey));

        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("burner-ffmpeg", "burner-ffmpeX").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> changed = app.postRaw("/render", tampered, Map.of("x-signature", app.hmac.sign(body)));
        assertEquals(401, changed.statusCode());
        assertEquals(Map.of("error", "invalid signature"), json(changed));

        HttpResponse<String> unsigned = app.postRaw("/render", body, unsignedHeaders());
        assertEquals(401, unsigned.statusCode());
        assertEquals(Map.of("error", "missing signature"), json(unsigned));

        assertEquals(404, app.get("/status/" + jobId).statusCode(), "no job was created");
        assertTrue(callbacksFor(fx.server, jobId).isEmpty(), "no callback");
        assertTrue(fx.server.requests("/in/").stream().noneMatch(r -> r.query() != null && r.query().contains(jobId)));
    }

    @Test
    void payloadMissingInputVttUrlIs400NamingIt() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        Map<String, Object> payload = fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt");
        payload.remove("inputVttUrl");

        HttpResponse<String> r = app.postSigned("/render", payload);

        assertEquals(400, r.statusCode());
        String error = (String) json(r).get("error");
        assertTrue(error.contains("inputVttUrl"), error);
        assertEquals(404, app.get("/status/" + jobId).statusCode(), "no job was created");
        assertTrue(callbacksFor(fx.server, jobId).isEmpty(), "no callback");
    }

    @Test
    void secondJobBeyondCapacityIs429BusyWithRetryAfter() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch requested = new CountDownLatch(1);
        fx.server.on("/in/slow.mp4", ex -> {
            fx.server.record(ex);
            requested.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            StubHttpServer.respond(ex, 404, "text/plain", "gone".getBytes());
        });
        String first = BurnerRunnerFixture.newJobId();
        String second = BurnerRunnerFixture.newJobId();
        try {
            assertEquals(202, lenient.postSigned("/render", fx.payload(first, "/in/slow.mp4", "/in/subs.vtt")).statusCode());
            assertTrue(requested.await(30, TimeUnit.SECONDS), "the first job is downloading its input");

            HttpResponse<String> busy = lenient.postSigned("/render", fx.payload(second, "/in/missing/video.mp4", "/in/subs.vtt"));

            assertEquals(429, busy.statusCode());
            assertEquals(Map.of("error", "busy"), json(busy));
            String retryAfter = busy.headers().firstValue("retry-after").orElse(null);
            assertEquals("10", retryAfter, "Retry-After (RUNNER_RETRY_AFTER_SECONDS default)");
            assertEquals(404, lenient.get("/status/" + second).statusCode(), "the refused job does not exist");
            assertEquals("preparing", json(lenient.get("/status/" + first)).get("status"));
        } finally {
            release.countDown();
        }
        assertEquals("download of input video failed: HTTP 404", fx.awaitTerminal(first).get("error"));
        awaitIdle(lenient);

        // the slot is free again: the refused job, sent again, is taken
        assertEquals(202, lenient.postSigned("/render", fx.payload(second, "/in/missing/video.mp4", "/in/subs.vtt")).statusCode());
        assertEquals("failed", fx.awaitTerminal(second).get("status"));
        assertEquals(List.of("preparing", "failed"), statuses(callbacksFor(fx.server, second)));
    }

    @Test
    void unsignedBodyIsAcceptedWhenSignaturesAreNotRequired() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        byte[] body = Json.writeBytes(fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt"));

        HttpResponse<String> r = lenient.postRaw("/render", body, unsignedHeaders());

        assertEquals(202, r.statusCode(), r.body());
        assertEquals(Map.of("jobId", jobId, "runnerUrl", lenient.base.toString()), json(r));
        assertEquals("completed", fx.awaitTerminal(jobId).get("status"));
        assertEquals(1, fx.server.requests("/out/" + jobId).size());
        assertSigned(jobId); // the runner still signs its own callbacks
    }

    @Test
    void sameRenderTwiceIsOneJob() throws Exception {
        String jobId = BurnerRunnerFixture.newJobId();
        byte[] body = Json.writeBytes(fx.payload(jobId, "/in/clip.mp4", "/in/subs.vtt"));

        // the lenient runner takes one job at a time: the repeat must be recognised, not refused as busy
        HttpResponse<String> first = lenient.postRaw("/render", body, Map.of());
        HttpResponse<String> again = lenient.postRaw("/render", body, Map.of());

        assertEquals(202, first.statusCode(), first.body());
        assertEquals(202, again.statusCode(), again.body());
        assertEquals(Map.of("jobId", jobId, "runnerUrl", lenient.base.toString()), json(again));
        assertEquals("completed", fx.awaitTerminal(jobId).get("status"));
        awaitIdle(lenient);

        HttpResponse<String> afterwards = lenient.postRaw("/render", body, Map.of());
        assertEquals(202, afterwards.statusCode(), afterwards.body());
        awaitIdle(lenient);

        List<String> statuses = statuses(callbacksFor(fx.server, jobId));
        assertEquals(1, statuses.stream().filter("preparing"::equals).count(), "one run: " + statuses);
        assertEquals(1, statuses.stream().filter("completed"::equals).count(), "one run: " + statuses);
        assertEquals(1, fx.server.requests("/out/" + jobId).size(), "one upload");
        assertEquals(1, fx.server.requests("/in/clip.mp4").stream().filter(r -> r.query().contains(jobId)).count(),
                "one download of the video");
        assertEquals("completed", json(lenient.get("/status/" + jobId)).get("status"));
    }

    /**
     * Sends a signed {@code /render} to the strict runner, expects 202 and then a {@code failed}
     * callback and no upload; returns the callback's {@code error}.
     */
    private String renderExpectingFailure(Map<String, Object> payload) throws Exception {
        String jobId = (String) payload.get("jobId");
        HttpResponse<String> r = app.postSigned("/render", payload);
        assertEquals(202, r.statusCode(), r.body());
        Map<String, Object> failed = fx.awaitTerminal(jobId);
        assertEquals("failed", failed.get("status"), "terminal callback: " + failed);
        assertTrue(fx.server.requests("/out/" + jobId).isEmpty(), "nothing uploaded");
        return (String) failed.get("error");
    }

    /**
     * The clip with the payload of its {@code mdat} box overwritten with noise: the container
     * (and so ffprobe) is fine, the frames cannot be decoded.
     */
    private static byte[] garbleMdat(byte[] mp4) {
        byte[] out = mp4.clone();
        ByteBuffer b = ByteBuffer.wrap(out);
        int pos = 0;
        while (pos + 8 <= out.length) {
            long size = b.getInt(pos) & 0xffffffffL;
            String type = new String(out, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (size < 8) {
                break;
            }
            if (type.equals("mdat")) {
                Random random = new Random(7);
                for (int i = pos + 8; i < pos + size; i++) {
                    out[i] = (byte) random.nextInt(256);
                }
                return out;
            }
            pos += (int) size;
        }
        throw new AssertionError("no mdat box in the clip");
    }

    private void assertSigned(String jobId) {
        Hmac hmac = new Hmac(RunningApp.SECRET);
        List<StubHttpServer.Recorded> calls = fx.callbackRequests(jobId);
        assertFalse(calls.isEmpty());
        for (StubHttpServer.Recorded c : calls) {
            assertTrue(hmac.verify(c.body(), c.headers().get("x-signature")), "signed: " + c.bodyText());
        }
    }

    private static Map<String, String> unsignedHeaders() {
        Map<String, String> h = new HashMap<>();
        h.put("x-signature", null); // RunningApp.postRaw then sends no x-signature at all
        return h;
    }

}
