package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the packaged downloader runner while a yt-dlp forked from its preloader
 * ({@code YtDlpPreload}) downloads: the preloader dies with the runner and the yt-dlp with the
 * preloader, as a yt-dlp started with exec dies with the runner.
 */
@IntegrationTest
class KillMidDownloadIT {
    private final PackagedService service = new PackagedService();

    @Test
    void killedMidDownload_aForkedYtDlpDiesWithTheRunner() throws Exception {
        Path dir = TestServers.tempDir("mo-kill-download");
        Path work = Files.createDirectories(dir.resolve("work"));
        Map<String, String> env = PackagedService.runnerEnv(work);
        env.put("ROLES", "downloader");
        env.put("DOWNLOADER_ALLOW_PRIVATE_NETWORKS", "true");
        Process p = null;
        try (StubHttpServer stub = new StubHttpServer()) {
            stub.answer("/missing", 404, "no such video");
            stub.on("/stall.mp4", ex -> {
                stub.record(ex);
                ex.getResponseHeaders().set("Content-Type", "video/mp4");
                ex.sendResponseHeaders(200, 50_000_000);
                ex.getResponseBody().write(new byte[64 * 1024]);
                ex.getResponseBody().flush();
                try {
                    Thread.sleep(120_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            stub.answer("/cb", 200, "{}");
            stub.answer("/put", 200, "");
            p = service.start(dir, env);
            String base = "http://127.0.0.1:" + env.get("PORT");
            service.awaitAnswer(base + "/healthz", p);

            render(base, stub, "/missing"); // the first download starts yt-dlp with exec, and the preloader
            Path log = dir.resolve("out.log");
            Wait.until("the yt-dlp preloader to be ready", Duration.ofSeconds(60), () -> read(log).contains("preloaded"));
            Wait.until("the first job to end", Duration.ofSeconds(30), () -> stub.requests("/cb").stream()
                    .anyMatch(r -> r.bodyText().contains("\"failed\"")));
            // its slot is free after its callback has gone out: a render before that is 429 busy
            Wait.until("the runner to be idle", Duration.ofSeconds(30), () -> answer(base + "/healthz").contains("\"active\":0"));
            render(base, stub, "/stall.mp4");
            Wait.until("yt-dlp to download", Duration.ofSeconds(30), () -> !stub.requests("/stall.mp4").isEmpty());
            List<ProcessHandle> tools = TestServers.processesIn(work);
            assertEquals(1, tools.size(), "one process in the job's directory: " + tools);
            ProcessHandle ytDlp = tools.get(0);
            ProcessHandle preloader = ytDlp.parent().orElseThrow();
            assertNotEquals(p.pid(), preloader.pid(), "the job's yt-dlp was forked (so this test can fail)");
            assertTrue(preloader.info().commandLine().orElse("").contains(" -c "), "its parent is the preloader: " + preloader.info());

            PackagedService.kill9(p);
            p = null;

            Wait.until("the forked yt-dlp and its preloader to die with the runner", Duration.ofSeconds(10),
                    () -> !ytDlp.isAlive() && !preloader.isAlive());
        } finally {
            PackagedService.cleanUp(p, work, dir);
        }
    }

    private String answer(String url) {
        try {
            return service.http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    private void render(String base, StubHttpServer stub, String path) throws Exception {
        String jobId = "job_" + UUID.randomUUID().toString().replace("-", "");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", jobId);
        body.put("mediaId", "k1");
        body.put("engine", "media-downloader");
        body.put("callbackUrl", stub.base() + "/cb");
        body.put("engineOptions", Map.of("url", stub.base() + path, "quality", "720p"));
        for (String kind : List.of("Video", "Audio", "Metadata")) {
            body.put("output" + kind + "PutUrl", stub.base() + "/put/" + kind + "?X-Amz-Signature=abc&X-Amz-Expires=600");
            body.put("output" + kind + "Key", "downloads/k1/" + jobId + "/" + kind.toLowerCase());
        }
        body.put("ts", System.currentTimeMillis());
        body.put("nonce", UUID.randomUUID().toString());
        service.render(base, body);
    }
}
