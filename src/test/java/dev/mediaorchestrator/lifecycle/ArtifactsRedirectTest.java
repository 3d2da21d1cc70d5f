package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;

/**
 * #20: in direct mode (an S3 endpoint) {@code GET /artifacts} answers 302 to a presigned GET of the
 * object, signed for R2_S3_PUBLIC_ENDPOINT, and the client's {@code Range} goes to the store; the
 * checks (job, kind, object present, Range satisfiable) are made first; HEAD and
 * {@code ?redirect=false} are answered by the orchestrator; ARTIFACTS_REDIRECT=false turns it off.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArtifactsRedirectTest {
    static final int SIZE = 2 * 1024 * 1024 + 3;
    private final byte[] data = new byte[SIZE];
    /** Follows no redirect: the 302 itself is looked at. */
    private final HttpClient noFollow = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private Path dir;
    private EmbeddedS3 s3;
    private URI publicEndpoint;
    private StubHttpServer runner;
    private RunningApp app;
    private String jobId;

    @BeforeAll
    void start() throws Exception {
        new Random(302).nextBytes(data);
        dir = TestServers.tempDir("mo-redirect");
        s3 = TestServers.embeddedS3(dir);
        s3.createBucket("vidgen-render");
        publicEndpoint = URI.create("http://localhost:" + s3.endpoint().getPort()); // the same server by the app's name
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            Map<String, Object> p = Json.parseObject(runner.record(ex).body());
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            if ("cli1".equals(p.get("mediaId"))) { // a runner that does its work: its outputs straight into the bucket
                Put.put(URI.create((String) p.get("outputVideoPutUrl")), "video/mp4", data);
                Put.put(URI.create((String) p.get("outputAudioPutUrl")), "audio/mpeg", "mp3".getBytes());
                Put.put(URI.create((String) p.get("outputMetadataPutUrl")), "application/json", "{\"title\":\"t\"}".getBytes());
            }
        });
        app = RunningApp.start(direct(Map.of("COMPLETION_POLL_INTERVAL_MS", "200")));
        jobId = app.newDownloadJob("redir1");
        app.app.storage().put("downloads/redir1/" + jobId + "/video.mp4", new ByteArrayInputStream(data), "video/mp4");
        app.app.storage().put("downloads/redir1/" + jobId + "/audio.mp3", new ByteArrayInputStream("mp3".getBytes()), "audio/mpeg");
    }

    private Map<String, String> direct(Map<String, String> more) {
        Map<String, String> env = new HashMap<>(Map.of("CONTAINER_BASE_URL", runner.base().toString(),
                "R2_S3_ENDPOINT", s3.endpoint().toString(), "R2_S3_PUBLIC_ENDPOINT", publicEndpoint.toString(),
                "R2_ACCESS_KEY_ID", s3.accessKey(), "R2_SECRET_ACCESS_KEY", s3.secretKey()));
        env.putAll(more);
        return env;
    }

    @AfterAll
    void stop() {
        try {
            app.close();
            runner.close();
            s3.close();
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }

    private static HttpResponse<byte[]> send(HttpClient client, URI uri, String range, String method) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody());
        if (range != null) {
            b.header("Range", range);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> artifact(RunningApp on, String pathAndQuery, String range, String method) throws Exception {
        return send(noFollow, on.base.resolve("/artifacts/" + pathAndQuery), range, method);
    }

    @Test
    void aGetIsA302ToThePresignedObjectAndItsLocationServesRanges() throws Exception {
        HttpResponse<byte[]> r = artifact(app, jobId, "bytes=100-199", "GET");
        assertEquals(302, r.statusCode());
        assertEquals("no-store", r.headers().firstValue("cache-control").orElse(""));
        assertEquals(0, r.body().length);
        URI location = URI.create(r.headers().firstValue("location").orElseThrow());
        assertTrue(location.toString().startsWith(publicEndpoint + "/vidgen-render/downloads/redir1/" + jobId + "/video.mp4?"),
                "presigned for the app's endpoint: " + location);
        assertTrue(location.getRawQuery().contains("X-Amz-Signature="), location.toString());
        // the Location with the client's Range: byte-exact, from the store
        HttpResponse<byte[]> part = send(noFollow, location, "bytes=100-199", "GET");
        assertEquals(206, part.statusCode());
        assertArrayEquals(Arrays.copyOfRange(data, 100, 200), part.body());
        assertEquals("bytes 100-199/" + SIZE, part.headers().firstValue("content-range").orElse(""));
        assertEquals("video/mp4", part.headers().firstValue("content-type").orElse(""));
        HttpResponse<byte[]> suffix = send(noFollow, location, "bytes=-10", "GET");
        assertEquals(206, suffix.statusCode());
        assertArrayEquals(Arrays.copyOfRange(data, SIZE - 10, SIZE), suffix.body());
        HttpResponse<byte[]> whole = send(noFollow, location, null, "GET");
        assertEquals(200, whole.statusCode());
        assertArrayEquals(data, whole.body());
    }

    @Test
    void aClientThatFollowsGetsItsRangeFromTheStore() throws Exception {
        HttpClient follow = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<byte[]> r = send(follow, app.base.resolve("/artifacts/" + jobId), "bytes=1048576-", "GET");
        assertEquals(206, r.statusCode());
        assertArrayEquals(Arrays.copyOfRange(data, 1048576, SIZE), r.body());
        assertEquals("bytes 1048576-" + (SIZE - 1) + "/" + SIZE, r.headers().firstValue("content-range").orElse(""));
        assertTrue(r.uri().toString().startsWith(publicEndpoint.toString()), "answered by the store: " + r.uri());
        HttpResponse<byte[]> audio = send(follow, app.base.resolve("/artifacts/" + jobId + "?kind=audio"), null, "GET");
        assertEquals(200, audio.statusCode());
        assertArrayEquals("mp3".getBytes(), audio.body());
        assertEquals("audio/mpeg", audio.headers().firstValue("content-type").orElse(""), "the relay's Content-Type");
    }

    @Test
    void checksComeFirstAndHeadAndOptOutAreAnsweredHere() throws Exception {
        assertEquals(404, artifact(app, "job_aaaaaaaaaaaaaaaaaaaaaaaaaa", null, "GET").statusCode(), "no such job");
        assertEquals(404, artifact(app, jobId + "?kind=metadata", null, "GET").statusCode(), "no such object: no redirect");
        assertEquals(400, artifact(app, jobId + "?kind=poster", null, "GET").statusCode());
        assertEquals(400, artifact(app, jobId + "?redirect=maybe", null, "GET").statusCode());
        HttpResponse<byte[]> beyond = artifact(app, jobId, "bytes=" + SIZE + "-", "GET");
        assertEquals(416, beyond.statusCode(), "unsatisfiable: answered here");
        assertEquals("bytes */" + SIZE, beyond.headers().firstValue("content-range").orElse(""));
        // HEAD: a presigned GET does not take HEAD (the method is signed), and the headers cost nothing here
        HttpResponse<byte[]> head = artifact(app, jobId, "bytes=0-9", "HEAD");
        assertEquals(206, head.statusCode());
        assertEquals("10", head.headers().firstValue("content-length").orElse(""));
        assertEquals("video/mp4", head.headers().firstValue("content-type").orElse(""));
        // a client that cannot follow redirects asks for the bytes themselves
        HttpResponse<byte[]> relayed = artifact(app, jobId + "?redirect=false", "bytes=5-14", "GET");
        assertEquals(206, relayed.statusCode());
        assertArrayEquals(Arrays.copyOfRange(data, 5, 15), relayed.body());
        assertEquals("bytes 5-14/" + SIZE, relayed.headers().firstValue("content-range").orElse(""));
        assertEquals(302, artifact(app, jobId + "?redirect=true", null, "GET").statusCode(), "redirect=true: the default");
    }

    /** The command-line client saves a job's artifacts through /artifacts: it follows the 302. */
    @Test
    void theCliFollowsTheRedirect() throws Exception {
        Path out = dir.resolve("cli-out");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exit = new dev.mediaorchestrator.cli.Cli(Map.of("ORCHESTRATOR_URL", app.base.toString(), "OUT_DIR", out.toString(),
                "JOB_CALLBACK_HMAC_SECRET", RunningApp.SECRET), new PrintStream(printed, true, StandardCharsets.UTF_8))
                .run(new String[]{"submit", "--url", "https://example.com/v", "--media-id", "cli1"});
        String text = printed.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, text);
        try (var saved = Files.list(out)) {
            Path jobDir = saved.findFirst().orElseThrow();
            assertArrayEquals(data, Files.readAllBytes(jobDir.resolve("video.mp4")), text);
            assertArrayEquals("mp3".getBytes(), Files.readAllBytes(jobDir.resolve("audio.mp3")));
        }
    }

    @Test
    void artifactsRedirectFalseRelaysInDirectMode() throws Exception {
        try (RunningApp relaying = RunningApp.start(direct(Map.of("ARTIFACTS_REDIRECT", "false")))) {
            String id = relaying.newDownloadJob("redir2");
            relaying.app.storage().put("downloads/redir2/" + id + "/video.mp4", new ByteArrayInputStream(data), "video/mp4");
            HttpResponse<byte[]> whole = artifact(relaying, id, null, "GET");
            assertEquals(200, whole.statusCode(), "no 302");
            assertArrayEquals(data, whole.body());
            HttpResponse<byte[]> part = artifact(relaying, id, "bytes=-3", "GET");
            assertEquals(206, part.statusCode());
            assertArrayEquals(Arrays.copyOfRange(data, SIZE - 3, SIZE), part.body());
        }
    }
}
