package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the packaged orchestrator while the app holds its first terminal callback, then a
 * restart on the same data dir: the callback is delivered again as the same event (same nonce),
 * never as a new one the app could not deduplicate.
 */
@IntegrationTest
class KillDuringCallbackIT {
    private static final Path JAR = Path.of("target/media-orchestrator.jar");
    private final HttpClient http = HttpClient.newHttpClient();
    private final Hmac hmac = new Hmac(RunningApp.SECRET);

    private Process start(Path dir, int port, URI app, URI runner) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JAR.toAbsolutePath().toString())
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("out.log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("R2_") || k.equals("ROLES"));
        pb.environment().putAll(Map.of("PORT", String.valueOf(port), "HOST", "127.0.0.1", "ROLES", "orchestrator",
                "JOB_CALLBACK_HMAC_SECRET", RunningApp.SECRET, "DATA_DIR", dir.resolve("data").toString(),
                "NEXT_BASE_URL", app.toString(), "CONTAINER_BASE_URL", runner.toString(), "COMPLETION_POLL_INTERVAL_MS", "200"));
        return pb.start();
    }

    private void awaitUp(int port, Process p, Path dir) throws Exception {
        Wait.until("the orchestrator to answer", Duration.ofSeconds(60), () -> {
            try {
                return p.isAlive() && http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs/x"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 404;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void theCallbackAfterACrashIsTheSameEvent() throws Exception {
        Path dir = TestServers.tempDir("mo-kill");
        int port = TestServers.freePort();
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService background = Executors.newCachedThreadPool();
        Process p = null;
        try (StubHttpServer app = new StubHttpServer(); StubHttpServer runner = new StubHttpServer()) {
            app.on("/api/render/cf-callback", ex -> {
                StubHttpServer.Recorded r = app.record(ex);
                if (app.requests("/api/render/cf-callback").size() == 1) {
                    try {
                        release.await(60, TimeUnit.SECONDS); // the app holds the first delivery
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                boolean ok = hmac.verify(r.body(), r.headers().get("x-signature"));
                StubHttpServer.respond(ex, ok ? 200 : 401, "application/json", "{}".getBytes());
            });
            app.answer("/api/media/", 200, "WEBVTT\n");
            runner.on("/render", ex -> {
                Map<String, Object> payload = Json.parseObject(runner.record(ex).body());
                StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
                background.submit(() -> Put.put(URI.create((String) payload.get("outputPutUrl")), "video/mp4", "out".getBytes()));
            });
            p = start(dir, port, app.base(), runner.base());
            awaitUp(port, p, dir);
            byte[] body = Json.writeBytes(Map.of("mediaId", "kill1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs"))
                    .header("content-type", "application/json").header("x-signature", hmac.sign(body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, created.statusCode(), created.body());
            Wait.until("the first callback, held by the app", Duration.ofSeconds(30),
                    () -> !app.requests("/api/render/cf-callback").isEmpty());

            p.destroyForcibly(); // kill -9
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            p = start(dir, port, app.base(), runner.base());
            awaitUp(port, p, dir);
            Wait.until("the callback delivered after the restart", Duration.ofSeconds(60),
                    () -> app.requests("/api/render/cf-callback").size() >= 2);
            release.countDown();
            Thread.sleep(1000);
            List<Map<String, Object>> deliveries = app.requests("/api/render/cf-callback").stream()
                    .map(r -> Json.parseObject(r.body())).toList();
            assertEquals(1, deliveries.stream().map(m -> m.get("nonce")).distinct().count(),
                    "every delivery is the same event: " + deliveries + "\n" + Files.readString(dir.resolve("out.log")));
            assertEquals(1, deliveries.stream().map(m -> m.get("jobId")).distinct().count());
            assertEquals("completed", deliveries.get(deliveries.size() - 1).get("status"));
        } finally {
            release.countDown();
            if (p != null) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            background.shutdownNow();
            TestServers.deleteRecursively(dir);
        }
    }
}
