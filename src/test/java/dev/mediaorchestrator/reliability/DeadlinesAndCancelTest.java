package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** A runner that forgets its job (probes), a hanging ffmpeg killed by the stall limit, and cancel during a real burn. */
@IntegrationTest
class DeadlinesAndCancelTest {
    private static boolean processMentions(String text) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(c -> c.contains(text)).orElse(false));
    }

    private static boolean emptyDir(Path dir) {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return !Files.exists(dir);
        }
    }

    @Test
    void aRunnerThatForgetsTheJobFailsItAfterThreeProbes() throws Exception {
        try (AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
             StubHttpServer runner = new StubHttpServer()) {
            runner.on("/", ex -> {
                runner.record(ex);
                StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            });
            runner.answer("/status/", 404, "{\"error\":\"not found\"}"); // e.g. restarted: it knows nothing of the job
            // one run only: a second run on another runner is RedispatchTest's
            try (RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(),
                    "CONTAINER_BASE_URL", runner.base().toString(), "RUNNER_PROBE_SECONDS", "1",
                    "COMPLETION_POLL_INTERVAL_MS", "300", "JOB_MAX_ATTEMPTS", "1"))) {
                String jobId = (String) json(app.postSigned("/jobs", Map.of("mediaId", "silent", "engine", "media-downloader",
                        "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()))).get("jobId");
                Wait.until("the failed callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
                Map<String, Object> cb = next.acceptedFor(jobId).get(0);
                assertEquals("failed", cb.get("status"));
                assertTrue(((String) cb.get("error")).startsWith("runner lost the job"), (String) cb.get("error"));
                assertEquals(3, runner.requests("/status/" + jobId).size(), "three probes in a row, then the job is lost");
                Wait.until("the runner told to stop", Duration.ofSeconds(10), () -> !runner.requests("/cancel/" + jobId).isEmpty());
                Thread.sleep(800);
                assertEquals(1, next.acceptedFor(jobId).size());
            }
        }
    }

    @Test
    void anFfmpegThatHangsIsKilledAndTheJobFails() throws Exception {
        Path work = TestServers.tempDir("mo-stall-work");
        Path tools = TestServers.tempDir("mo-stall-tools");
        try (StubHttpServer server = new StubHttpServer(); TestMedia.TempDir media = TestMedia.tempDir("mo-stall-media")) {
            Path clip = media.path().resolve("clip.mp4");
            TestMedia.generateClip(clip, 2, true);
            byte[] clipBytes = Files.readAllBytes(clip);
            // an ffmpeg whose input is a named pipe nobody writes to: it blocks forever
            Path fake = tools.resolve("ffmpeg-fifo");
            Files.writeString(fake, "#!/bin/sh\nmkfifo hang.fifo\nexec ffmpeg -nostdin -progress ffmpeg.progress -i hang.fifo -f null -\n");
            Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
            server.on("/in/video", ex -> StubHttpServer.respond(ex, 200, "video/mp4", clipBytes));
            server.on("/in/vtt", ex -> StubHttpServer.respond(ex, 200, "text/vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n你好\n".getBytes()));
            server.on("/cb", ex -> {
                server.record(ex);
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes());
            });
            try (RunningApp app = RunningApp.start(Map.of("ROLES", "burner", "RUNNER_WORK_DIR", work.toString(),
                    "FFMPEG_BIN", fake.toString(), "RUNNER_STALL_SECONDS", "2"))) {
                String jobId = "job_" + "s".repeat(26);
                Map<String, Object> render = new LinkedHashMap<>();
                render.put("jobId", jobId);
                render.put("mediaId", "m");
                render.put("engine", "burner-ffmpeg");
                render.put("callbackUrl", server.base() + "/cb");
                render.put("engineOptions", Map.of());
                render.put("inputVideoUrl", server.base() + "/in/video");
                render.put("inputVttUrl", server.base() + "/in/vtt");
                render.put("outputPutUrl", server.base() + "/out");
                render.put("outputVideoKey", "k");
                render.put("ts", System.currentTimeMillis());
                render.put("nonce", UUID.randomUUID().toString());
                assertEquals(202, app.postSigned("/render", render).statusCode());
                Wait.until("ffmpeg to hang", Duration.ofSeconds(30), () -> processMentions("hang.fifo"));
                Wait.until("the failed callback", Duration.ofSeconds(30), () -> server.requests("/cb").stream()
                        .anyMatch(r -> "failed".equals(Json.parseObject(r.body()).get("status"))));
                Map<String, Object> failed = server.requests("/cb").stream().map(r -> Json.parseObject(r.body()))
                        .filter(m -> "failed".equals(m.get("status"))).findFirst().orElseThrow();
                assertEquals("no progress for 2 s: the process was stopped", failed.get("error"));
                Wait.until("ffmpeg gone", Duration.ofSeconds(10), () -> !processMentions("hang.fifo"));
                Wait.until("temp files gone", Duration.ofSeconds(10), () -> emptyDir(work));
                assertTrue(server.requests("/out").isEmpty(), "nothing uploaded");
            }
        } finally {
            TestServers.deleteRecursively(work);
            TestServers.deleteRecursively(tools);
        }
    }

    @Test
    void cancelDuringARealBurnStopsFfmpegRemovesFilesAndCallsBackOnce() throws Exception {
        Path work = TestServers.tempDir("mo-cancel-work");
        try (AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET)); TestMedia.TempDir media = TestMedia.tempDir("mo-cancel-media")) {
            Path clip = media.path().resolve("clip.mp4");
            TestMedia.generateClip(clip, 640, 360, 60, true);
            next.media("cancel1", "source", Files.readAllBytes(clip))
                    .media("cancel1", "subtitles", "WEBVTT\n\n00:00.000 --> 00:50.000\nHello\n你好\n".getBytes(StandardCharsets.UTF_8));
            try (RunningApp app = RunningApp.start(Map.of("ROLES", "orchestrator,burner", "NEXT_BASE_URL", next.base().toString(),
                    "RUNNER_WORK_DIR", work.toString(), "BURNER_X264_PRESET", "slow"))) {
                String jobId = (String) json(app.postSigned("/jobs", Map.of("mediaId", "cancel1", "engine", "burner-ffmpeg",
                        "ts", System.currentTimeMillis()))).get("jobId");
                Wait.until("the burn to run", Duration.ofSeconds(60), () -> {
                    try {
                        return "running".equals(json(app.get("/jobs/" + jobId)).get("status"));
                    } catch (Exception e) {
                        return false;
                    }
                });
                Wait.until("ffmpeg to run in the job's directory", Duration.ofSeconds(60), () -> processMentions(jobId));
                var r = app.postSigned("/jobs/" + jobId + "/cancel", Map.of("ts", System.currentTimeMillis(), "nonce", UUID.randomUUID().toString()));
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(Map.of("jobId", jobId, "status", "canceled"), json(r));
                Wait.until("ffmpeg gone", Duration.ofSeconds(20), () -> !processMentions(jobId));
                Wait.until("temp files gone", Duration.ofSeconds(20), () -> emptyDir(work));
                Wait.until("the callback", Duration.ofSeconds(20), () -> !next.acceptedFor(jobId).isEmpty());
                Thread.sleep(1000);
                List<Map<String, Object>> cbs = next.acceptedFor(jobId);
                assertEquals(1, cbs.size());
                assertEquals("canceled", cbs.get(0).get("status"));
                assertEquals("canceled", json(app.get("/jobs/" + jobId)).get("status"));
                assertFalse(app.app.storage().exists("outputs/by-media/cancel1/" + jobId + "/video.mp4"));
                var again = app.postSigned("/jobs/" + jobId + "/cancel", Map.of("ts", System.currentTimeMillis(), "nonce", UUID.randomUUID().toString()));
                assertEquals(409, again.statusCode());
            }
        } finally {
            TestServers.deleteRecursively(work);
        }
    }
}
