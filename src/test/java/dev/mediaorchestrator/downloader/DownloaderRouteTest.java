package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.support.IntegrationTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Issue 4 acceptance: the service in the downloader role ({@code ROLES=downloader}, so {@code /render}
 * is at the root) runs the real yt-dlp and ffmpeg on a clip the test generated, served by a loopback
 * "site" whose watch page carries the clip's schema.org metadata; outputs go to a loopback PUT
 * receiver and callbacks to a loopback "orchestrator". Every test has its own service, work dir, site
 * and receivers on free ports, and checks that the work dir is left empty.
 */
@IntegrationTest
class DownloaderRouteTest {

    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Hmac HMAC = new Hmac(RunningApp.SECRET);

    @TempDir
    static Path media;
    static Path clip;
    static double clipSeconds;

    @BeforeAll
    static void generateClip() throws Exception {
        for (String tool : List.of("yt-dlp", "ffmpeg", "ffprobe", "tinyproxy")) {
            TestMedia.requireOnPath(tool);
        }
        clip = TestMedia.makeClip(media, "clip.mp4", "320x180", 4);
        clipSeconds = Double.parseDouble(TestMedia.probe(clip, null, "format=duration"));
    }

    @Test
    void downloadsExtractsUploadsAndReportsEveryPhaseInOrder() throws Exception {
        try (Rig rig = new Rig(Map.of())) {
            String jobId = rig.render(Map.of("url", rig.pageUrl(), "quality", "720p"));

            Map<String, Object> last = rig.awaitTerminal(jobId);
            assertEquals("completed", last.get("status"), "job failed: " + last.get("error"));

            // callbacks: all signed, phases in order, progress never going back
            List<Map<String, Object>> callbacks = rig.callbacks(jobId);
            assertEquals(List.of("preparing/preparing", "fetching_metadata/fetching_metadata", "running/downloading",
                    "running/extracting_audio", "uploading/uploading", "completed/completed"), phases(callbacks));
            List<Double> progress = callbacks.stream().map(c -> ((Number) c.get("progress")).doubleValue()).toList();
            TestMedia.assertNonDecreasing(progress);
            assertEquals(0.05, progress.get(0), 1e-9);
            assertEquals(1.0, progress.get(progress.size() - 1), 1e-9);
            callbacks.stream().filter(c -> "downloading".equals(c.get("phase")))
                    .forEach(c -> assertTrue(((Number) c.get("progress")).doubleValue() >= 0.1
                            && ((Number) c.get("progress")).doubleValue() <= 0.6, "downloading progress in 0.1..0.6: " + c));

            Map<?, ?> outputs = (Map<?, ?>) last.get("outputs");
            assertEquals(Set.of("video", "audio", "metadata"), outputs.keySet());
            assertEquals("downloads/m1/" + jobId + "/video.mp4", ((Map<?, ?>) outputs.get("video")).get("key"));
            assertEquals("downloads/m1/" + jobId + "/audio.mp3", ((Map<?, ?>) outputs.get("audio")).get("key"));
            assertEquals("downloads/m1/" + jobId + "/metadata.json", ((Map<?, ?>) outputs.get("metadata")).get("key"));
            assertEquals("audio/mpeg", ((Map<?, ?>) outputs.get("audio")).get("contentType"));
            assertTrue(((Map<?, ?>) outputs.get("video")).get("sha256") instanceof String, "provenance: " + outputs);
            Map<String, Object> expectedMetadata = new LinkedHashMap<>();
            expectedMetadata.put("title", "A generated clip");
            expectedMetadata.put("author", "Test Author");
            expectedMetadata.put("thumbnail", rig.site.url("thumb.jpg"));
            expectedMetadata.put("viewCount", 1234);
            expectedMetadata.put("likeCount", null);
            expectedMetadata.put("duration", 4);
            expectedMetadata.put("quality", "720p");
            expectedMetadata.put("source", "generic");
            assertEquals(expectedMetadata, last.get("metadata"));
            Map<String, Object> firstUploading = callbacks.stream().filter(c -> "uploading".equals(c.get("phase"))).findFirst().orElseThrow();
            assertEquals(expectedMetadata, firstUploading.get("metadata"), "the metadata is sent before the uploads");

            // uploads: three PUTs with their content types
            StubHttpServer.Recorded video = rig.upload("video");
            StubHttpServer.Recorded audio = rig.upload("audio");
            StubHttpServer.Recorded metadata = rig.upload("metadata");
            assertEquals("video/mp4", video.headers().get("content-type"));
            assertEquals("audio/mpeg", audio.headers().get("content-type"));
            assertEquals("application/json", metadata.headers().get("content-type"));
            assertArrayEquals(Files.readAllBytes(clip), video.body(), "the uploaded video is the served clip");

            Path mp3 = rig.dir.resolve("uploaded.mp3");
            Files.write(mp3, audio.body());
            assertEquals("mp3", TestMedia.probe(mp3, "a:0", "stream=codec_name"));
            double mp3Seconds = Double.parseDouble(TestMedia.probe(mp3, null, "format=duration"));
            assertEquals(clipSeconds, mp3Seconds, 0.2, "the mp3 lasts as long as the clip");

            JsonNode info = JSON.readTree(metadata.body());
            assertEquals(rig.pageUrl(), info.get("webpage_url").asText(), "metadata.json is yt-dlp's info JSON");
            assertEquals("watch", info.get("id").asText());
            assertEquals("Generic", info.get("extractor_key").asText());

            // the runner's local view, and nothing left on disk
            HttpResponse<String> status = rig.app.get("/status/" + jobId);
            assertEquals(200, status.statusCode());
            assertEquals("completed", RunningApp.json(status).get("status"));
            rig.awaitWorkDirEmpty();
        }
    }

    @Test
    void theVideoGoesUpWhileFfmpegExtractsTheAudio() throws Exception {
        // an ffmpeg that only starts once the video has arrived whole at its PUT URL: if the video
        // went up only after the extraction, it would wait in vain and fail the job
        Path wrapper = TestServers.tempDir("dl-ffmpeg").resolve("ffmpeg-after-video");
        try (Rig rig = new Rig(Map.of("FFMPEG_BIN", wrapper.toString()))) {
            Files.writeString(wrapper, """
                    #!/bin/sh
                    case "$*" in *libmp3lame*) ;; *) exec ffmpeg "$@" ;; esac  # yt-dlp's own calls
                    for i in $(seq 300); do
                      [ -f '%s' ] && exec ffmpeg "$@"
                      sleep 0.1
                    done
                    echo "the video was not uploaded while the audio was extracted" >&2
                    exit 1
                    """.formatted(rig.dir.resolve("put-video.done")));
            assertTrue(wrapper.toFile().setExecutable(true));
            String jobId = rig.render(Map.of("url", rig.pageUrl(), "quality", "720p"));
            Map<String, Object> last = rig.awaitTerminal(jobId);
            assertEquals("completed", last.get("status"), "job failed: " + last.get("error"));
            assertArrayEquals(Files.readAllBytes(clip), rig.upload("video").body());
            assertEquals(List.of("preparing/preparing", "fetching_metadata/fetching_metadata", "running/downloading",
                    "running/extracting_audio", "uploading/uploading", "completed/completed"), phases(rig.callbacks(jobId)));
            rig.awaitWorkDirEmpty();
        } finally {
            TestServers.deleteRecursively(wrapper.getParent());
        }
    }

    @Test
    void answersHealthAndRefusesBadRenderRequests() throws Exception {
        try (Rig rig = new Rig(Map.of())) {
            HttpResponse<String> health = rig.app.get("/healthz");
            assertEquals(200, health.statusCode());
            Map<String, Object> h = RunningApp.json(health);
            assertEquals(true, h.get("ok"));
            assertEquals("media-downloader", h.get("engine"));
            assertEquals(0, h.get("active"));
            assertTrue(h.get("tools") instanceof Map, "the tools' versions (empty until known): " + h);

            Map<String, Object> payload = rig.payload("job_" + UUID.randomUUID().toString().replace("-", ""),
                    Map.of("url", rig.pageUrl()));
            payload.remove("outputAudioPutUrl");
            HttpResponse<String> missing = rig.app.postSigned("/render", payload);
            assertEquals(400, missing.statusCode());
            assertTrue(missing.body().contains("outputAudioPutUrl"), missing.body());

            HttpResponse<String> unsigned = rig.app.postRaw("/render", Json.writeBytes(rig.payload("job_x", Map.of("url", rig.pageUrl()))),
                    Map.of("x-signature", "00"));
            assertEquals(401, unsigned.statusCode());
            assertEquals(404, rig.app.get("/status/job_unknown").statusCode());
            assertTrue(rig.callbacks.requests.isEmpty(), "no job was started");
        }
    }

    @Test
    void aJobBeyondTheConcurrencyLimitIs429BusyAndARepeatIsTheSameJob() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Rig rig = new Rig(Map.of("RUNNER_MAX_CONCURRENCY", "1"));
             StubHttpServer slowSite = new StubHttpServer()) {
            slowSite.on("/slow", ex -> {
                slowSite.record(ex);
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                StubHttpServer.respond(ex, 404, "text/plain", "gone".getBytes(StandardCharsets.UTF_8));
            });
            Map<String, Object> first = rig.payload("job_first" + UUID.randomUUID().toString().replace("-", ""),
                    Map.of("url", slowSite.base() + "/slow"));
            assertEquals(202, rig.app.postSigned("/render", first).statusCode());
            Wait.until("yt-dlp is fetching the slow page", JOB_TIMEOUT, () -> !slowSite.requests("/slow").isEmpty());

            HttpResponse<String> busy = rig.app.postSigned("/render", rig.payload("job_second", Map.of("url", rig.pageUrl())));
            assertEquals(429, busy.statusCode());
            assertEquals(Map.of("error", "busy"), RunningApp.json(busy));
            assertTrue(busy.headers().firstValue("retry-after").isPresent(), "Retry-After is sent");

            first.put("ts", System.currentTimeMillis());
            first.put("nonce", UUID.randomUUID().toString());
            HttpResponse<String> again = rig.app.postSigned("/render", first);
            assertEquals(202, again.statusCode(), "a job the runner has is accepted again, not refused as busy");
            assertEquals(Map.of("jobId", first.get("jobId"), "runnerUrl", rig.app.base.toString()), RunningApp.json(again));

            release.countDown();
            assertEquals("failed", rig.awaitTerminal((String) first.get("jobId")).get("status"));
            assertEquals(1, slowSite.requests("/slow").size(), "the repeat did not start a second run");
            assertTrue(rig.callbacks("job_second").isEmpty(), "the refused job never ran");
            rig.awaitWorkDirEmpty();
        } finally {
            release.countDown();
        }
    }

    @Test
    void downloadsThroughARealHttpProxyWithCredentialsThatAreNeverLogged() throws Exception {
        String password = "s3cret.proxy-pass_1";
        try (LogCapture logs = new LogCapture();
             Rig rig = new Rig(Map.of());
             TinyProxy proxy = new TinyProxy(rig.dir.resolve("tinyproxy"), TestServers.freePort(), "downloader", password)) {
            String jobId = rig.render(Map.of("url", rig.pageUrl(), "quality", "720p",
                    "proxy", Map.of("protocol", "http", "server", "127.0.0.1", "port", proxy.port,
                            "username", "downloader", "password", password)));

            Map<String, Object> last = rig.awaitTerminal(jobId);
            assertEquals("completed", last.get("status"), "job failed: " + last.get("error"));
            assertArrayEquals(Files.readAllBytes(clip), rig.upload("video").body());
            String log = proxy.log();
            assertTrue(log.contains("GET " + rig.pageUrl() + " "), "the proxy carried the page request:\n" + log);
            // (yt-dlp 2023.03.04 leaves its "smuggle" fragment on the media URL it sends to a proxy)
            assertTrue(log.contains("GET " + rig.site.url("clip.mp4")), "the proxy carried the media request:\n" + log);
            assertTrue(rig.site.proxyAuthorizations.isEmpty(), "the proxy, not the site, took the credentials");
            rig.awaitWorkDirEmpty();

            logs.assertNeverLogged(jobId, password);
            rig.callbacks.requests.forEach(r -> assertFalse(r.bodyText().contains(password), "sent: " + r.bodyText()));
        }
    }

    @Test
    void aProxyThatRefusesFailsTheJobWithAClearError() throws Exception {
        String password = "s3cret.proxy-pass_2";
        try (LogCapture logs = new LogCapture(); Rig rig = new Rig(Map.of())) {
            int closed = TestServers.freePort();
            String jobId = rig.render(Map.of("url", rig.pageUrl() + "?token=query-secret-1",
                    "proxy", Map.of("protocol", "http", "server", "127.0.0.1", "port", closed,
                            "username", "downloader", "password", password)));

            Map<String, Object> last = rig.awaitTerminal(jobId);
            assertEquals("failed", last.get("status"));
            String error = (String) last.get("error");
            assertTrue(error.startsWith("yt-dlp ERROR:") && error.contains("Connection refused"), error);
            assertTrue(error.endsWith("(via proxy http://***@127.0.0.1:" + closed + ")"), error);
            logs.assertNeverLogged(jobId, password);
            logs.assertNeverLogged(jobId, "query-secret-1");
            assertTrue(rig.site.requests.isEmpty(), "nothing reached the site: " + rig.site.requests);
            assertTrue(rig.uploads.requests.isEmpty(), "nothing was uploaded");
            rig.awaitWorkDirEmpty();
        }
    }

    @Test
    void aPageThat404sFailsWithYtDlpsMessage() throws Exception {
        try (Rig rig = new Rig(Map.of())) {
            String jobId = rig.render(Map.of("url", rig.site.url("missing.html")));

            Map<String, Object> last = rig.awaitTerminal(jobId);
            assertEquals("failed", last.get("status"));
            String error = (String) last.get("error");
            assertTrue(error.startsWith("yt-dlp ERROR:") && error.contains("HTTP Error 404"), error);
            assertEquals(List.of("preparing/preparing", "fetching_metadata/fetching_metadata", "failed/failed"),
                    phases(rig.callbacks(jobId)));
            assertTrue(rig.uploads.requests.isEmpty(), "nothing was uploaded");
            rig.awaitWorkDirEmpty();
        }
    }

    @Test
    void aMissingMihomoFailsTheJobSayingSo() throws Exception {
        Path absent = media.resolve("no-such-dir").resolve("mihomo");
        try (Rig rig = new Rig(Map.of("MIHOMO_BIN", absent.toString()))) {
            String password = "s3cret-Trojan-pass";
            String jobId = rig.render(Map.of("url", rig.pageUrl(),
                    "proxy", Map.of("nodeUrl", "trojan://" + password + "@proxy.example:443?sni=proxy.example#node")));

            Map<String, Object> last = rig.awaitTerminal(jobId);
            assertEquals("failed", last.get("status"));
            String error = (String) last.get("error");
            assertTrue(error.startsWith("mihomo not found at " + absent), error);
            assertFalse(error.contains(password), error);
            assertEquals(List.of("preparing/preparing", "failed/failed"), phases(rig.callbacks(jobId)));
            assertTrue(rig.site.requests.isEmpty(), "yt-dlp did not run: " + rig.site.requests);
            rig.awaitWorkDirEmpty();
        }
    }

    /**
     * The mihomo path of the route with a stand-in binary (mihomo is not installed here): a script
     * that keeps the config it was given and serves the config's {@code port} with tinyproxy. The
     * route must write the config, wait for the port, send yt-dlp through it, and stop the process.
     */
    @Test
    void aNodeUrlRunsMihomoForTheJobAndStopsItAfter() throws Exception {
        Path fake = media.resolve("fake-mihomo-" + UUID.randomUUID());
        Files.createDirectories(fake);
        Path script = fake.resolve("mihomo");
        Path seenConfig = fake.resolve("seen-config.yaml");
        Path proxyLog = fake.resolve("proxy.log");
        Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "while [ $# -gt 0 ]; do case \"$1\" in -d) dir=\"$2\"; shift 2;; -f) conf=\"$2\"; shift 2;; *) shift;; esac; done",
                "cp \"$conf\" '" + seenConfig + "'",
                "port=$(sed -n 's/^port: *//p' \"$conf\")",
                "printf 'Port %s\\nListen 127.0.0.1\\nLogFile \"%s\"\\nLogLevel Connect\\nAllow 127.0.0.1\\n' \"$port\" '" + proxyLog + "' > \"$dir/tinyproxy.conf\"",
                "exec tinyproxy -d -c \"$dir/tinyproxy.conf\"", ""));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        int port = TestServers.freePort();
        int socksPort = TestServers.freePort();
        try (Rig rig = new Rig(Map.of("MIHOMO_BIN", script.toString(), "MIHOMO_PORT", String.valueOf(port),
                "MIHOMO_SOCKS_PORT", String.valueOf(socksPort)))) {
            String password = "s3cret-Trojan-pass";
            String jobId = rig.render(Map.of("url", rig.pageUrl(),
                    "proxy", Map.of("nodeUrl", "trojan://" + password + "@proxy.example:443?sni=proxy.example#node")));

            Map<String, Object> last = rig.awaitTerminal(jobId);
            assertEquals("completed", last.get("status"), "job failed: " + last.get("error"));
            assertArrayEquals(Files.readAllBytes(clip), rig.upload("video").body());
            String log = Files.readString(proxyLog);
            assertTrue(log.contains("GET " + rig.pageUrl() + " "), "yt-dlp went through the job's mihomo:\n" + log);

            Map<?, ?> config = (Map<?, ?>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(seenConfig));
            assertEquals(port, config.get("port"));
            assertEquals(socksPort, config.get("socks-port"));
            Map<?, ?> node = (Map<?, ?>) ((List<?>) config.get("proxies")).get(0);
            assertEquals("trojan", node.get("type"));
            assertEquals("proxy.example", node.get("server"));
            assertEquals(password, node.get("password"));

            rig.awaitWorkDirEmpty();
            assertFalse(listening(port), "mihomo was stopped after the job");
        }
    }

    /**
     * All in one process (orchestrator + downloader): {@code POST /jobs} dispatches over HTTP to
     * {@code /runners/media-downloader/render}, the runner uploads through the orchestrator's signed
     * fallback URLs into the embedded bucket, and the Next app gets the terminal callback.
     */
    @Test
    void theOrchestratorRunsADownloaderJobInTheSameProcess() throws Exception {
        try (Rig rig = new Rig(Map.of("ROLES", "orchestrator,downloader"))) {
            Map<String, Object> body = Map.of("mediaId", "m2", "engine", "media-downloader",
                    "options", Map.of("url", rig.pageUrl(), "quality", "720p"), "ts", System.currentTimeMillis());
            HttpResponse<String> created = rig.app.postSigned("/jobs", body);
            assertEquals(202, created.statusCode(), created.body());
            String jobId = (String) RunningApp.json(created).get("jobId");

            Wait.until("the job is terminal", JOB_TIMEOUT, () -> {
                try {
                    Object status = RunningApp.json(rig.app.get("/jobs/" + jobId)).get("status");
                    return "completed".equals(status) || "failed".equals(status);
                } catch (Exception e) {
                    return false;
                }
            });
            Map<String, Object> job = RunningApp.json(rig.app.get("/jobs/" + jobId));
            assertEquals("completed", job.get("status"), "job: " + job);

            Wait.until("the Next app's terminal callback", JOB_TIMEOUT, () -> !rig.callbacks.requests("/api/render/cf-callback").isEmpty());
            StubHttpServer.Recorded next = rig.callbacks.requests("/api/render/cf-callback").get(0);
            assertTrue(HMAC.verify(next.body(), next.headers().get("x-signature")));
            Map<String, Object> terminal = Json.parseObject(next.body());
            assertEquals("completed", terminal.get("status"));
            assertEquals("A generated clip", ((Map<?, ?>) terminal.get("metadata")).get("title"));
            assertEquals("downloads/m2/" + jobId + "/audio.mp3", ((Map<?, ?>) ((Map<?, ?>) terminal.get("outputs")).get("audio")).get("key"));

            HttpResponse<byte[]> video = rig.artifact(jobId, "video");
            assertEquals(200, video.statusCode());
            assertArrayEquals(Files.readAllBytes(clip), video.body());
            HttpResponse<byte[]> audio = rig.artifact(jobId, "audio");
            assertEquals("audio/mpeg", audio.headers().firstValue("content-type").orElse(null));
            HttpResponse<byte[]> metadata = rig.artifact(jobId, "metadata");
            assertEquals("watch", JSON.readTree(metadata.body()).get("id").asText());
            rig.awaitWorkDirEmpty();
        }
    }

    private static List<String> phases(List<Map<String, Object>> callbacks) {
        List<String> phases = new ArrayList<>();
        for (Map<String, Object> c : callbacks) {
            String p = c.get("status") + "/" + c.get("phase");
            if (phases.isEmpty() || !phases.get(phases.size() - 1).equals(p)) {
                phases.add(p);
            }
        }
        return phases;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * One test's world: a site serving the clip and its watch page, the service in the downloader
     * role over its own work dir, and the "orchestrator" receiving callbacks and uploads.
     */
    static final class Rig implements AutoCloseable {
        final Path dir = TestServers.tempDir("dl-route");
        final Path workDir = dir.resolve("work");
        final TestMedia.FileServer site;
        final StubHttpServer callbacks = new StubHttpServer();
        final StubHttpServer uploads = new StubHttpServer();
        final RunningApp app;

        Rig(Map<String, String> env) throws Exception {
            this(env, clip);
        }

        Rig(Map<String, String> env, Path clipFile) throws Exception {
            Path root = Files.createDirectories(dir.resolve("site"));
            Files.copy(clipFile, root.resolve("clip.mp4"));
            site = new TestMedia.FileServer(root);
            Files.writeString(root.resolve("watch.html"), """
                    <!doctype html><html><head><title>watch</title>
                    <script type="application/ld+json">
                    {"@context":"https://schema.org","@type":"VideoObject","name":"A generated clip",
                     "author":{"@type":"Person","name":"Test Author"},"duration":"PT4S","interactionCount":"1234",
                     "thumbnailUrl":"%s","contentUrl":"%s","encodingFormat":"video/mp4"}
                    </script></head><body></body></html>
                    """.formatted(site.url("thumb.jpg"), site.url("clip.mp4")));
            callbacks.on("/cb", ex -> {
                callbacks.record(ex);
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            });
            callbacks.on("/api/render/cf-callback", ex -> {
                callbacks.record(ex);
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            });
            uploads.on("/put/", ex -> {
                uploads.record(ex);
                // a mark on disk for each upload received whole (tools standing in for ffmpeg look for it)
                Files.writeString(dir.resolve("put-" + ex.getRequestURI().getPath().substring("/put/".length()) + ".done"), "");
                StubHttpServer.respond(ex, 200, "application/json", "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
            });
            Files.createDirectories(workDir);
            Map<String, String> all = new HashMap<>(Map.of("ROLES", "downloader", "RUNNER_WORK_DIR", workDir.toString(),
                    "NEXT_BASE_URL", callbacks.base().toString()));
            all.putAll(env);
            try {
                app = RunningApp.start(all);
            } catch (Exception e) {
                closeServers();
                throw e;
            }
        }

        String pageUrl() {
            return site.url("watch.html");
        }

        Map<String, Object> payload(String jobId, Map<String, Object> engineOptions) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("jobId", jobId);
            p.put("mediaId", "m1");
            p.put("engine", "media-downloader");
            p.put("callbackUrl", callbacks.base() + "/cb");
            p.put("engineOptions", engineOptions);
            for (String kind : List.of("video", "audio", "metadata")) {
                String field = "output" + Character.toUpperCase(kind.charAt(0)) + kind.substring(1);
                String file = kind.equals("video") ? "video.mp4" : kind.equals("audio") ? "audio.mp3" : "metadata.json";
                p.put(field + "PutUrl", uploads.base() + "/put/" + kind + "?X-Amz-Signature=abc123&X-Amz-Expires=600");
                p.put(field + "Key", "downloads/m1/" + jobId + "/" + file);
            }
            p.put("ts", System.currentTimeMillis());
            p.put("nonce", UUID.randomUUID().toString());
            return p;
        }

        /** Posts a signed {@code /render}; asserts the 202. */
        String render(Map<String, Object> engineOptions) throws Exception {
            String jobId = "job_" + UUID.randomUUID().toString().replace("-", "");
            HttpResponse<String> r = app.postSigned("/render", payload(jobId, engineOptions));
            assertEquals(202, r.statusCode(), r.body());
            // and where the orchestrator reaches this runner: its own address (issue 29)
            assertEquals(Map.of("jobId", jobId, "runnerUrl", app.base.toString()), RunningApp.json(r));
            return jobId;
        }

        /** The job's callbacks in arrival order, each checked to carry a valid signature. */
        List<Map<String, Object>> callbacks(String jobId) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (StubHttpServer.Recorded r : callbacks.requests("/cb")) {
                assertTrue(HMAC.verify(r.body(), r.headers().get("x-signature")), "callback signature: " + r.bodyText());
                Map<String, Object> body = Json.parseObject(r.body());
                if (jobId.equals(body.get("jobId"))) {
                    list.add(body);
                }
            }
            return list;
        }

        Map<String, Object> awaitTerminal(String jobId) {
            Wait.until("a terminal callback for " + jobId, JOB_TIMEOUT, () -> callbacks(jobId).stream()
                    .anyMatch(c -> "completed".equals(c.get("status")) || "failed".equals(c.get("status"))));
            List<Map<String, Object>> all = callbacks(jobId);
            return all.get(all.size() - 1);
        }

        HttpResponse<byte[]> artifact(String jobId, String kind) throws Exception {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    app.base.resolve("/artifacts/" + jobId + "?kind=" + kind)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        }

        StubHttpServer.Recorded upload(String kind) {
            List<StubHttpServer.Recorded> puts = uploads.requests("/put/" + kind);
            assertEquals(1, puts.size(), "one upload of " + kind);
            assertEquals("PUT", puts.get(0).method());
            return puts.get(0);
        }

        /** The job's temp dir (and mihomo's) is removed after its terminal callback. */
        void awaitWorkDirEmpty() {
            Wait.untilEmpty("an empty RUNNER_WORK_DIR", workDir, Duration.ofSeconds(30));
        }

        private void closeServers() {
            site.close();
            callbacks.close();
            uploads.close();
            TestServers.deleteRecursively(dir);
        }

        @Override
        public void close() {
            try {
                app.close();
            } finally {
                closeServers();
            }
        }
    }

    /** Every log event of the service while it is open (tests run in parallel: only this test's strings are looked for). */
    static final class LogCapture implements AutoCloseable {
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

        LogCapture() {
            appender.start();
            root.addAppender(appender);
        }

        void assertNeverLogged(String jobId, String secret) {
            List<ILoggingEvent> events;
            synchronized (appender) { // AppenderBase.doAppend holds this lock: other tests' threads append while we read
                events = new ArrayList<>(appender.list);
            }
            List<String> lines = events.stream().map(ILoggingEvent::getFormattedMessage).toList();
            assertTrue(lines.stream().anyMatch(l -> l.contains("start download (job " + jobId)), "the job's log lines were captured");
            lines.forEach(l -> assertFalse(l.contains(secret), "logged: " + l));
        }

        @Override
        public void close() {
            root.detachAppender(appender);
        }
    }

    /** tinyproxy in the foreground on a given loopback port, logging each request to a file. */
    static final class TinyProxy implements AutoCloseable {
        final int port;
        final Path logFile;
        private final Process process;

        /** With {@code BasicAuth user password} when a user is given (tinyproxy takes [-a-z0-9._] only). */
        TinyProxy(Path dir, int port, String user, String password) throws IOException {
            this.port = port;
            Files.createDirectories(dir);
            logFile = dir.resolve("tinyproxy.log");
            Path conf = dir.resolve("tinyproxy.conf");
            Files.writeString(conf, String.join("\n", "Port " + port, "Listen 127.0.0.1", "Timeout 60",
                    "LogFile \"" + logFile + "\"", "LogLevel Connect", "MaxClients 20", "Allow 127.0.0.1",
                    user == null ? "" : "BasicAuth " + user + " " + password, ""));
            process = new ProcessBuilder("tinyproxy", "-d", "-c", conf.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("tinyproxy.out").toFile())
                    .start();
            Wait.until("tinyproxy listening on " + port, Duration.ofSeconds(30), () -> {
                if (!process.isAlive()) {
                    fail("tinyproxy exited: " + read(dir.resolve("tinyproxy.out")));
                }
                return listening(port);
            });
        }

        String log() throws IOException {
            return Files.readString(logFile);
        }

        private static String read(Path file) {
            try {
                return Files.readString(file);
            } catch (IOException e) {
                return "";
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
