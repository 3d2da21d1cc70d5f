package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28, item 7: SIGTERM to the packaged all-in-one service while it burns a job ends the process
 * within the bound README states (20 s; it waited for the burn, then retried its callbacks: over
 * 10 s), and loses nothing: started again on the same directories, the service dispatches the job
 * again and completes it, with one callback.
 */
@IntegrationTest
class StopDuringJobIT {
    /** README, "Stopping": SIGTERM ends the process within this. */
    private static final Duration STOP_BOUND = Duration.ofSeconds(20);
    private static final Path JAR = Path.of("target/media-orchestrator.jar");
    private final HttpClient http = HttpClient.newHttpClient();

    private static Process start(Path dir, int port, Path ffmpeg) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString())
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("out.log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("R2_") || k.equals("ROLES") || k.equals("NEXT_BASE_URL"));
        pb.environment().putAll(Map.of("HOST", "127.0.0.1", "PORT", String.valueOf(port), "JOB_CALLBACK_HMAC_SECRET", RunningApp.SECRET,
                "FFMPEG_BIN", ffmpeg.toString(), "BURNER_X264_PRESET", "ultrafast", "RUNNER_PROBE_SECONDS", "1",
                "RUNNER_WORK_DIR", dir.resolve("work").toString(), "LANG", "C.UTF-8"));
        return pb.start();
    }

    private boolean ready(int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void sigtermDuringABurnEndsWithinTheBoundAndTheJobCompletesAfterARestart() throws Exception {
        Path dir = TestServers.tempDir("mo-stop-job");
        int port = TestServers.freePort();
        // ffmpeg that takes a minute the first time it burns, and is itself after that
        Path ffmpeg = dir.resolve("ffmpeg-once-slow");
        Files.writeString(ffmpeg, "#!/bin/sh\nif [ \"$1\" != \"-version\" ] && [ ! -e \"" + dir.resolve("slow-once") + "\" ]; then\n"
                + "  touch \"" + dir.resolve("slow-once") + "\"\n  sleep 60\nfi\nexec ffmpeg \"$@\"\n");
        Files.setPosixFilePermissions(ffmpeg, PosixFilePermissions.fromString("rwx------"));
        Path media = Files.createDirectories(dir.resolve("media"));
        TestMedia.generateClip(media.resolve("stop1.mp4"), 2, true);
        Files.writeString(media.resolve("stop1.vtt"), "WEBVTT\n\n00:00.000 --> 00:01.500\nhello\n");
        Process p = null;
        try {
            p = start(dir, port, ffmpeg);
            Wait.until("the service to be ready", Duration.ofSeconds(90), () -> ready(port));
            byte[] body = Json.writeBytes(Map.of("mediaId", "stop1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis(),
                    "nonce", UUID.randomUUID().toString()));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs"))
                    .header("content-type", "application/json").header("x-signature", new Hmac(RunningApp.SECRET).sign(body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, r.statusCode(), r.body());
            String jobId = (String) RunningApp.json(r).get("jobId");
            Wait.until("the burn to run", Duration.ofSeconds(60), () -> Files.exists(dir.resolve("slow-once")));

            long t0 = System.nanoTime();
            p.destroy(); // SIGTERM
            boolean ended = p.waitFor(STOP_BOUND.toSeconds(), TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ended, "the service ends within " + STOP_BOUND.toSeconds() + " s of SIGTERM during a job");
            System.out.printf("[sigterm] the all-in-one service stopped %d ms after SIGTERM during a burn%n", ms);
            p = null;

            p = start(dir, port, ffmpeg);
            Path callbacks = dir.resolve("data/callbacks.jsonl");
            Wait.until("the job's callback after the restart", Duration.ofSeconds(120), () -> lines(callbacks, jobId) > 0);
            Thread.sleep(1000);
            List<String> mine = Files.readAllLines(callbacks, StandardCharsets.UTF_8).stream().filter(l -> l.contains(jobId)).toList();
            assertEquals(1, mine.size(), "one callback: " + mine);
            assertTrue(mine.get(0).contains("\"status\":\"completed\""), mine.get(0));
        } finally {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            TestServers.deleteRecursively(dir);
        }
    }

    private static long lines(Path file, String text) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> l.contains(text)).count() : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
