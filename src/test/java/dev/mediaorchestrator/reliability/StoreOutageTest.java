package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.dashboard.DashboardAccess;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.FaultyStore;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28, item 2: every failure of the store is {@code 503} with {@code Retry-After} and an error
 * naming the bucket, on every path that touches it; a failure of the app's source stays a 502
 * naming the source. The store is the real embedded S3 server, stopped; or a store whose disk is
 * full ({@link FaultyStore}, answering as S3Proxy does on a full filesystem).
 */
@IntegrationTest
class StoreOutageTest {
    private static final String BUCKET = "vidgen-render";
    private final HttpClient http = HttpClient.newHttpClient();
    private final AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET));
    private final StubHttpServer runner = new StubHttpServer();
    private RunningApp app;
    private EmbeddedS3 store;
    private FaultyStore faulty;
    private Path storeDir;

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (faulty != null) {
            faulty.close();
        }
        if (store != null) {
            store.close();
        }
        TestServers.deleteRecursively(storeDir);
        runner.close();
        next.close();
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("CONTAINER_BASE_URL", runner.base().toString());
        env.put("CONTAINER_BASE_URL_REMOTION", runner.base().toString());
        env.put("TRANSFER_MODE", "fallback");
        env.put("STORE_RETRY_SECONDS", "1"); // what is tested here is the answer, not how long it tries
        return env;
    }

    private HttpResponse<String> submit(String mediaId, String engine) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("mediaId", mediaId);
        body.put("engine", engine);
        if (engine.equals("media-downloader")) {
            body.put("options", Map.of("url", "https://example.com/v"));
        }
        body.put("ts", System.currentTimeMillis());
        body.put("nonce", UUID.randomUUID().toString());
        return app.postSigned("/jobs", body);
    }

    /** A 503 with Retry-After whose body names the bucket and says what the store did. */
    private static void assertStoreDown(String what, HttpResponse<String> r, String detail) {
        assertEquals(503, r.statusCode(), what + ": " + r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), what + ": tells the client when to try again");
        Map<String, Object> body = json(r);
        assertEquals(BUCKET, body.get("bucket"), what + " names the bucket: " + r.body());
        assertTrue(String.valueOf(body.get("detail")).contains(detail), what + " says what the store did: " + r.body());
        assertTrue(body.get("error") instanceof String e && e.endsWith("retry"), r.body());
    }

    @Test
    void aStoppedStoreIs503NamingTheBucketOnEveryPath() throws Exception {
        runner.answer("/render", 202, "{\"ok\":true}");
        next.media("m1", "source", "video bytes".getBytes()).media("m1", "subtitles", "WEBVTT\n".getBytes());
        for (String m : new String[]{"m2", "m3"}) {
            next.media(m, "source", "video".getBytes()).media(m, "subtitles", "WEBVTT\n".getBytes()).media(m, "comments-data", "{}".getBytes());
        }
        app = RunningApp.start(env());
        HttpResponse<String> created = submit("m1", "burner-ffmpeg");
        assertEquals(202, created.statusCode(), created.body());
        String jobId = (String) json(created).get("jobId");
        Wait.until("the dispatch", Duration.ofSeconds(20), () -> !runner.requests("/render").isEmpty());
        Map<String, Object> payload = Json.parseObject(runner.requests("/render").get(0).body());
        String session = app.get("/ui/api/session").body();

        app.app.embeddedS3().close(); // the store stops: every connection to it is refused

        assertStoreDown("POST /jobs (burner)", submit("m2", "burner-ffmpeg"), "connection refused");
        assertStoreDown("POST /jobs (remotion)", submit("m3", "renderer-remotion"), "connection refused");
        assertStoreDown("POST /jobs (downloader)", submit("m4", "media-downloader"), "connection refused");
        Map<String, Object> callback = new LinkedHashMap<>();
        callback.put("jobId", jobId);
        callback.put("status", "running");
        callback.put("phase", "rendering");
        callback.put("progress", 0.5);
        callback.put("ts", System.currentTimeMillis());
        callback.put("nonce", UUID.randomUUID().toString());
        assertStoreDown("a runner callback", app.postSigned("/callbacks/container", callback), "connection refused");
        assertStoreDown("/upload", http.send(HttpRequest.newBuilder(URI.create((String) payload.get("outputPutUrl")))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[4096])).header("Content-Type", "video/mp4").build(),
                HttpResponse.BodyHandlers.ofString()), "connection refused");
        assertStoreDown("/inputs", http.send(HttpRequest.newBuilder(URI.create((String) payload.get("inputVideoUrl"))).build(),
                HttpResponse.BodyHandlers.ofString()), "connection refused");
        assertStoreDown("/artifacts", app.get("/artifacts/" + jobId), "connection refused");
        String csrf = (String) Json.parseObject(session.getBytes()).get("csrfToken");
        assertStoreDown("the dashboard's cancel", http.send(HttpRequest.newBuilder(app.base.resolve("/ui/api/jobs/" + jobId + "/cancel"))
                .header(DashboardAccess.CSRF_HEADER, csrf).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()), "connection refused");
    }

    /** The app's media and the orchestrator on a store whose disk is full. */
    private void startOnAFullStore() throws Exception {
        storeDir = TestServers.tempDir("mo-full-store");
        store = TestServers.embeddedS3(storeDir);
        store.createBucket(BUCKET);
        faulty = new FaultyStore(store.endpoint());
        Map<String, String> env = env();
        env.put("R2_S3_ENDPOINT", faulty.endpoint().toString());
        env.put("R2_ACCESS_KEY_ID", store.accessKey());
        env.put("R2_SECRET_ACCESS_KEY", store.secretKey());
        app = RunningApp.start(env);
    }

    @Test
    void aFullStoreIs503NamingTheBucketNotASourceFailure() throws Exception {
        byte[] large = new byte[9 << 20]; // declared length over a part: streamed in one PUT the store cuts off
        new Random(5).nextBytes(large);
        next.media("small", "source", new byte[100_000]).media("small", "subtitles", "WEBVTT\n".getBytes());
        next.media("large", "source", large).media("large", "subtitles", "WEBVTT\n".getBytes());
        startOnAFullStore();
        faulty.mode(FaultyStore.Mode.DISK_FULL);

        assertStoreDown("a small source into a full store", submit("small", "burner-ffmpeg"), "answered 500 InternalError");
        HttpResponse<String> r = submit("large", "burner-ffmpeg");
        assertEquals(503, r.statusCode(), "the store failed, not the app's source: " + r.body());
        assertEquals(BUCKET, json(r).get("bucket"), r.body());
        assertStoreDown("a downloader job's record", submit("dl", "media-downloader"), "answered 500 InternalError");
    }

    @Test
    void aSourceThatFailsIsStill502NamingTheSource() throws Exception {
        next.server.on("/api/media/broken/source", ex -> {
            ex.sendResponseHeaders(200, 1 << 20);
            ex.getResponseBody().write(new byte[1000]);
            ex.getResponseBody().flush();
            ex.close(); // ends early
        });
        next.media("broken", "subtitles", "WEBVTT\n".getBytes());
        startOnAFullStore(); // the store itself is fine
        HttpResponse<String> r = submit("broken", "burner-ffmpeg");
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("fetch source failed", json(r).get("error"), r.body());
    }
}
