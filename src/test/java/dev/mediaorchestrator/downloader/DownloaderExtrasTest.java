package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Issue 18 acceptance, with real yt-dlp against a local page (its generic extractor reads an HTML5
 * {@code <video>} with a {@code <track kind="subtitles">} and a {@code poster}): a download job
 * asking for subtitles in English and Simplified Chinese of a page with an English track only,
 * with a thumbnail and with cookies the site insists on. The job completes with
 * {@code outputs.subtitles} = [en] whose bytes are the page's track, a JPEG thumbnail, and the
 * cookie value in none of: the logs, the bucket, the job document, the app's callback. The VTT then
 * feeds a burner job, which renders. Both transfer modes (presigned PUTs; the orchestrator's
 * {@code /upload} with {@code kind=subtitles.en}).
 */
@IntegrationTest
class DownloaderExtrasTest {
    private static final String COOKIE_VALUE = "sess-7f3a9c2e41d8b6";
    private static final String TRACK = "WEBVTT\n\n00:00.200 --> 00:02.500\nHello from the page\n\n00:02.600 --> 00:03.800\nOne line cue\n";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    static Path media;
    static byte[] clip;
    static byte[] poster;

    @BeforeAll
    static void makeMedia() throws Exception {
        clip = Files.readAllBytes(TestMedia.makeClip(media, "clip.mp4", "320x180", 4));
        Path jpg = media.resolve("poster.jpg");
        dev.mediaorchestrator.testutil.TestMedia.runChecked(List.of("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:s=160x90",
                "-frames:v", "1", jpg.toString()));
        poster = Files.readAllBytes(jpg);
    }

    @ParameterizedTest
    @ValueSource(strings = {"direct", "fallback"})
    void subtitlesThumbnailAndCookies(String mode) throws Exception {
        Path dir = TestServers.tempDir("dl-extras");
        List<String> cookieHeaders = new CopyOnWriteArrayList<>();
        try (StubHttpServer site = new StubHttpServer(); StubHttpServer next = new StubHttpServer();
             DownloaderRouteTest.LogCapture logs = new DownloaderRouteTest.LogCapture()) {
            serveSite(site, cookieHeaders);
            Map<String, byte[]> nextMedia = new HashMap<>();
            next.on("/api/media/", ex -> {
                byte[] body = nextMedia.get(ex.getRequestURI().getPath());
                StubHttpServer.respond(ex, body == null ? 404 : 200, "application/octet-stream", body == null ? new byte[0] : body);
            });
            next.answer("/api/render/cf-callback", 200, "{\"ok\":true}");
            Map<String, String> env = new HashMap<>(Map.of("ROLES", "orchestrator,burner,downloader", "TRANSFER_MODE", mode,
                    "NEXT_BASE_URL", next.base().toString(), "RUNNER_WORK_DIR", dir.resolve("work").toString(),
                    "BURNER_X264_PRESET", "ultrafast", "COMPLETION_POLL_INTERVAL_MS", "300"));
            try (RunningApp app = RunningApp.start(env)) {
                String cookies = "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\t" + COOKIE_VALUE + "\n";
                Map<String, Object> options = Map.of("url", site.base() + "/watch.html", "quality", "720p", "thumbnail", true,
                        "cookies", cookies, "subtitles", Map.of("languages", List.of("en", "zh-Hans")));
                HttpResponse<String> created = app.postSigned("/jobs", Map.of("mediaId", "x1", "engine", "media-downloader",
                        "options", options, "ts", System.currentTimeMillis()));
                assertEquals(202, created.statusCode(), created.body());
                String jobId = (String) json(created).get("jobId");
                Map<String, Object> callback = awaitCallback(next, jobId);
                assertEquals("completed", callback.get("status"), callback.toString());

                // the job document and the callback list the subtitles found (en, not zh-Hans) and the thumbnail
                Map<String, Object> doc = json(app.get("/jobs/" + jobId));
                Map<?, ?> outputs = (Map<?, ?>) doc.get("outputs");
                String enKey = "downloads/x1/" + jobId + "/subtitles/en.vtt";
                List<?> docSubs = (List<?>) outputs.get("subtitles");
                assertEquals(1, docSubs.size(), docSubs.toString());
                assertEquals("en", ((Map<?, ?>) docSubs.get(0)).get("lang"));
                assertEquals(enKey, ((Map<?, ?>) docSubs.get(0)).get("key"));
                assertEquals("downloads/x1/" + jobId + "/thumbnail.jpg", ((Map<?, ?>) outputs.get("thumbnail")).get("key"));
                Map<?, ?> cbOutputs = (Map<?, ?>) callback.get("outputs");
                List<?> cbSubs = (List<?>) cbOutputs.get("subtitles");
                assertEquals(1, cbSubs.size(), cbSubs.toString());
                assertEquals("en", ((Map<?, ?>) cbSubs.get(0)).get("lang"));
                // the URLs the app gets work, and give the page's track and a JPEG
                byte[] vtt = fetch((String) ((Map<?, ?>) cbSubs.get(0)).get("url"));
                assertArrayEquals(TRACK.getBytes(StandardCharsets.UTF_8), vtt, new String(vtt, StandardCharsets.UTF_8));
                byte[] thumb = fetch((String) ((Map<?, ?>) cbOutputs.get("thumbnail")).get("url"));
                assertTrue(thumb.length > 100 && (thumb[0] & 0xff) == 0xff && (thumb[1] & 0xff) == 0xd8, "a JPEG");
                assertArrayEquals(vtt, fetch(app.base + "/artifacts/" + jobId + "?kind=subtitles&lang=en"));
                assertEquals(404, HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(app.base + "/artifacts/" + jobId + "?kind=subtitles&lang=zh-Hans")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode());

                // provenance: each output's size, type and sha256 (computed by the runner as it uploaded) match the stored bytes
                List<Map<?, ?>> entries = new ArrayList<>();
                for (String kind : List.of("video", "audio", "metadata", "thumbnail")) {
                    entries.add((Map<?, ?>) cbOutputs.get(kind));
                }
                entries.add((Map<?, ?>) cbSubs.get(0));
                for (Map<?, ?> e : entries) {
                    assertStoredAsReported(app, e);
                }
                assertEquals("text/vtt", ((Map<?, ?>) cbSubs.get(0)).get("contentType"));
                Map<?, ?> tools = (Map<?, ?>) callback.get("tools");
                assertTrue(tools != null && tools.containsKey("yt-dlp") && tools.containsKey("ffmpeg"), "tools: " + tools);
                assertEquals(tools, doc.get("tools"));

                // the cookies reached the site, and are nowhere else
                assertTrue(cookieHeaders.stream().anyMatch(c -> c.contains(COOKIE_VALUE)), "the site saw the cookie");
                assertFalse(app.get("/jobs/" + jobId).body().contains(COOKIE_VALUE), "not in the job document");
                assertFalse(next.requests("/api/render/cf-callback").stream().anyMatch(r -> r.bodyText().contains(COOKIE_VALUE)));
                for (String key : app.app.storage().list("")) {
                    try (InputStream in = app.app.storage().get(key, null, null)) {
                        assertFalse(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(COOKIE_VALUE), "in the bucket: " + key);
                    }
                }
                logs.assertNeverLogged(jobId, COOKIE_VALUE);
                Wait.untilEmpty("an empty RUNNER_WORK_DIR", dir.resolve("work"), Duration.ofSeconds(30));

                // the downloaded VTT (one language per cue, one line each) feeds a burn as it is
                nextMedia.put("/api/media/b1/source", clip);
                nextMedia.put("/api/media/b1/subtitles", vtt);
                HttpResponse<String> burn = app.postSigned("/jobs", Map.of("mediaId", "b1", "engine", "burner-ffmpeg",
                        "ts", System.currentTimeMillis()));
                assertEquals(202, burn.statusCode(), burn.body());
                Map<String, Object> burned = awaitCallback(next, (String) json(burn).get("jobId"));
                assertEquals("completed", burned.get("status"), burned.toString());
                assertStoredAsReported(app, (Map<?, ?>) ((Map<?, ?>) burned.get("outputs")).get("video"));
                assertTrue(((Map<?, ?>) burned.get("tools")).containsKey("ffmpeg"), burned.toString());
            }
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    /** The page, clip, track and poster; every request must carry the session cookie (else 403). */
    private static void serveSite(StubHttpServer site, List<String> cookieHeaders) {
        String page = "<!doctype html><html><head><title>extras</title></head><body>"
                + "<video controls poster=\"poster.jpg\" src=\"clip.mp4\">"
                + "<track kind=\"subtitles\" srclang=\"en\" label=\"English\" src=\"en.vtt\"></video></body></html>";
        site.on("/", ex -> {
            String cookie = ex.getRequestHeaders().getFirst("Cookie");
            if (cookie != null) {
                cookieHeaders.add(cookie);
            }
            String path = ex.getRequestURI().getPath();
            if (cookie == null || !cookie.contains("SID=" + COOKIE_VALUE)) {
                StubHttpServer.respond(ex, 403, "text/plain", "sign in first".getBytes());
                return;
            }
            switch (path) {
                case "/watch.html" -> StubHttpServer.respond(ex, 200, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
                case "/clip.mp4" -> StubHttpServer.respond(ex, 200, "video/mp4", clip);
                case "/en.vtt" -> StubHttpServer.respond(ex, 200, "text/vtt", TRACK.getBytes(StandardCharsets.UTF_8));
                case "/poster.jpg" -> StubHttpServer.respond(ex, 200, "image/jpeg", poster);
                default -> StubHttpServer.respond(ex, 404, "text/plain", "no".getBytes());
            }
        });
    }

    @org.junit.jupiter.api.Test
    void aGlobalCookiesFileServesJobsThatBringNone() throws Exception {
        Path dir = TestServers.tempDir("dl-cookies-file");
        List<String> cookieHeaders = new CopyOnWriteArrayList<>();
        try (StubHttpServer site = new StubHttpServer(); StubHttpServer next = new StubHttpServer()) {
            serveSite(site, cookieHeaders);
            next.answer("/api/render/cf-callback", 200, "{\"ok\":true}");
            Path cookies = dir.resolve("cookies.txt");
            Files.writeString(cookies, "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\t" + COOKIE_VALUE + "\n");
            String before = Files.readString(cookies);
            Map<String, String> env = new HashMap<>(Map.of("ROLES", "orchestrator,downloader", "NEXT_BASE_URL", next.base().toString(),
                    "RUNNER_WORK_DIR", dir.resolve("work").toString(), "YTDLP_COOKIES_FILE", cookies.toString(),
                    "COMPLETION_POLL_INTERVAL_MS", "300"));
            try (RunningApp app = RunningApp.start(env)) {
                HttpResponse<String> created = app.postSigned("/jobs", Map.of("mediaId", "x2", "engine", "media-downloader",
                        "options", Map.of("url", site.base() + "/watch.html", "quality", "720p"), "ts", System.currentTimeMillis()));
                assertEquals(202, created.statusCode(), created.body());
                Map<String, Object> callback = awaitCallback(next, (String) json(created).get("jobId"));
                assertEquals("completed", callback.get("status"), callback.toString());
            }
            assertTrue(cookieHeaders.stream().anyMatch(c -> c.contains(COOKIE_VALUE)), "the site saw the file's cookie");
            assertEquals(before, Files.readString(cookies), "the global file is never written (yt-dlp got a copy)");
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    private static Map<String, Object> awaitCallback(StubHttpServer next, String jobId) {
        Hmac hmac = new Hmac(RunningApp.SECRET);
        Wait.until("the app's callback for " + jobId, TIMEOUT, () -> next.requests("/api/render/cf-callback").stream()
                .anyMatch(r -> r.bodyText().contains(jobId)));
        StubHttpServer.Recorded r = next.requests("/api/render/cf-callback").stream().filter(x -> x.bodyText().contains(jobId)).findFirst().orElseThrow();
        assertTrue(hmac.verify(r.body(), r.headers().get("x-signature")));
        return Json.parseObject(r.body());
    }

    /** An output entry's size, contentType and sha256 are those of the object in the bucket (recomputed here). */
    private static void assertStoredAsReported(RunningApp app, Map<?, ?> entry) throws Exception {
        String key = (String) entry.get("key");
        assertTrue(entry.get("sha256") instanceof String, "sha256 reported for " + entry);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long size;
        try (InputStream in = new DigestInputStream(app.app.storage().get(key, null, null), sha)) {
            size = in.transferTo(OutputStream.nullOutputStream());
        }
        assertEquals(HexFormat.of().formatHex(sha.digest()), entry.get("sha256"), key);
        assertEquals(size, ((Number) entry.get("size")).longValue(), key);
        assertEquals(app.app.storage().head(key).orElseThrow().contentType(), entry.get("contentType"), key);
    }

    private static byte[] fetch(String url) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), url);
        return r.body();
    }

}
