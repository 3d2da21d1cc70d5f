package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.ValidatingHttpClient;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Fallback mode end to end (no R2_S3_*): a stand-in runner fetches its inputs from the
 * orchestrator-signed /inputs URLs and uploads to /upload; an expired, altered or other-kind URL is 403.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FallbackTransfersTest {
    private final byte[] source = new byte[2_000_000];
    private final byte[] vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n嗨\n".getBytes(StandardCharsets.UTF_8);
    private final byte[] output = new byte[1_500_000];
    private final Map<String, Map<String, Object>> payloads = new ConcurrentHashMap<>();
    private final Map<String, byte[]> fetched = new ConcurrentHashMap<>();
    private final ExecutorService background = Executors.newCachedThreadPool();
    private final HttpClient http = ValidatingHttpClient.wrap(HttpClient.newHttpClient());
    private final Hmac hmac = new Hmac(RunningApp.SECRET);
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        new Random(1).nextBytes(source);
        new Random(2).nextBytes(output);
        next = new AppStandIn(hmac).media("fb1", "source", source).media("fb1", "subtitles", vtt);
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            Map<String, Object> p = Json.parseObject(runner.record(ex).body());
            payloads.put((String) p.get("jobId"), p);
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            background.submit(() -> {
                fetched.put("video", get((String) p.get("inputVideoUrl")).body());
                fetched.put("subtitles", get((String) p.get("inputVttUrl")).body());
                return http.send(HttpRequest.newBuilder(URI.create((String) p.get("outputPutUrl")))
                        .header("content-type", "video/mp4")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(output)).build(), HttpResponse.BodyHandlers.ofString());
            });
        });
        app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString()));
    }

    @AfterAll
    void stop() {
        app.close();
        runner.close();
        next.close();
        background.shutdownNow();
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aRunnerOnSignedOrchestratorUrlsCompletesTheJob() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "fb1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        String jobId = (String) json(r).get("jobId");
        Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        assertArrayEquals(source, fetched.get("video"));
        assertArrayEquals(vtt, fetched.get("subtitles"));
        Map<String, Object> p = payloads.get(jobId);
        assertTrue(((String) p.get("inputVideoUrl")).startsWith(app.base + "/inputs/fb1/video?exp="));
        assertTrue(((String) p.get("outputPutUrl")).startsWith(app.base + "/upload/" + jobId + "?kind=video&exp="));
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("completed", cb.get("status"));
        assertEquals(app.base + "/artifacts/" + jobId, cb.get("outputUrl"), "fallback mode: ORCHESTRATOR_BASE_URL_NEXT artifact URL");
        assertArrayEquals(output, get((String) cb.get("outputUrl")).body());

        // the same URLs, tampered with
        String video = (String) p.get("inputVideoUrl");
        assertEquals(403, get(video.replace("/inputs/fb1/video", "/inputs/fb1/subtitles")).statusCode(), "other kind");
        assertEquals(403, get(video.replaceAll("sig=[0-9a-f]{4}", "sig=0000")).statusCode(), "altered signature");
        assertEquals(403, get(video.replaceAll("exp=(\\d+)", "exp=$19")).statusCode(), "altered expiry");
        long past = System.currentTimeMillis() / 1000 - 10;
        String expired = app.base + "/inputs/fb1/video?exp=" + past + "&sig=" + hmac.signUrl("GET", "/inputs/fb1/video", "video", past);
        assertEquals(403, get(expired).statusCode(), "expired");
        assertEquals(403, get(app.base + "/inputs/fb1/video").statusCode(), "unsigned");

        String put = (String) p.get("outputPutUrl");
        HttpResponse<String> asAudio = http.send(HttpRequest.newBuilder(URI.create(put.replace("kind=video", "kind=audio")))
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, asAudio.statusCode(), "a video URL does not upload audio");
    }

    /**
     * A JDK client upgrades to h2c and then sends every request to the host as a stream of one
     * connection. A refused upload must end its own stream, not the connection: closing it (as on
     * HTTP/1.1) sent GOAWAY, which killed the other upload in flight on it, and Java 17's client
     * could fail the refused request itself with "GOAWAY received" instead of its 403.
     */
    @Test
    void aRefusedUploadOnAnHttp2ConnectionEndsOnlyItsOwnStream() throws Exception {
        HttpClient h2 = ValidatingHttpClient.wrap(HttpClient.newHttpClient());
        assertEquals(HttpClient.Version.HTTP_2, h2.send(HttpRequest.newBuilder(URI.create(app.base + "/health/live")).build(),
                HttpResponse.BodyHandlers.discarding()).version(), "the client upgraded to h2c");
        String jobId = (String) json(app.postSigned("/jobs", Map.of("mediaId", "fb3", "engine", "media-downloader",
                "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()))).get("jobId");
        long exp = System.currentTimeMillis() / 1000 + 60;
        String metadata = app.base + "/upload/" + jobId + "?kind=metadata&exp=" + exp + "&sig=" + hmac.signUrl("PUT", "/upload/" + jobId, "metadata", exp);

        // an upload that is half sent while the other request is refused
        byte[] first = "{\"title\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] rest = "slow\"}".getBytes(StandardCharsets.UTF_8);
        CountDownLatch halfSent = new CountDownLatch(1);
        CountDownLatch refused = new CountDownLatch(1);
        HttpRequest.BodyPublisher slow = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() ->
                new SequenceInputStream(new ByteArrayInputStream(first), new InputStream() {
                    private InputStream tail;

                    @Override
                    public int read() throws IOException {
                        if (tail == null) {
                            halfSent.countDown();
                            try {
                                refused.await(30, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                throw new InterruptedIOException();
                            }
                            tail = new ByteArrayInputStream(rest);
                        }
                        return tail.read();
                    }
                })), first.length + rest.length);
        var inFlight = h2.sendAsync(HttpRequest.newBuilder(URI.create(metadata)).PUT(slow).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(halfSent.await(10, TimeUnit.SECONDS), "the slow upload started");

        byte[] big = new byte[3_000_000];
        HttpResponse<String> wrongKind = h2.send(HttpRequest.newBuilder(URI.create(metadata.replace("kind=metadata", "kind=video")))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, wrongKind.statusCode(), wrongKind.body());
        assertEquals(HttpClient.Version.HTTP_2, wrongKind.version());
        refused.countDown();

        HttpResponse<String> done = inFlight.get(30, TimeUnit.SECONDS);
        assertEquals(200, done.statusCode(), done.body());
        assertEquals("{\"title\":\"slow\"}", new String(app.app.storage().get("downloads/fb3/" + jobId + "/metadata.json", null, null).readAllBytes(),
                StandardCharsets.UTF_8));
    }

    @Test
    void uploadAnswersTheContractsBody() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "fb2", "engine", "media-downloader",
                "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()));
        String jobId = (String) json(r).get("jobId");
        long exp = System.currentTimeMillis() / 1000 + 60;
        String url = app.base + "/upload/" + jobId + "?kind=metadata&exp=" + exp + "&sig=" + hmac.signUrl("PUT", "/upload/" + jobId, "metadata", exp);
        HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString("{\"id\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, up.statusCode(), up.body());
        assertEquals(Map.of("ok", true, "outputKey", "downloads/fb2/" + jobId + "/metadata.json", "outputUrl", "/artifacts/" + jobId + "?kind=metadata"),
                json(up));
        assertEquals("application/json", app.app.storage().head("downloads/fb2/" + jobId + "/metadata.json").orElseThrow().contentType());
    }
}
