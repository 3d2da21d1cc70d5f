package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.ValidatingHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET|HEAD /artifacts/{jobId} with Range, byte-exact against a 3 MB artifact. */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArtifactsRangeTest {
    static final int SIZE = 3 * 1024 * 1024;
    private final byte[] data = new byte[SIZE];
    private final HttpClient http = ValidatingHttpClient.wrap(HttpClient.newHttpClient());
    private StubHttpServer runner;
    private RunningApp app;
    private String jobId;

    @BeforeAll
    void start() throws Exception {
        new Random(9).nextBytes(data);
        runner = new StubHttpServer();
        runner.on("/render", ex -> StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes()));
        app = RunningApp.start(Map.of("CONTAINER_BASE_URL", runner.base().toString()));
        jobId = app.newDownloadJob("rng");
        app.app.storage().put("downloads/rng/" + jobId + "/video.mp4", new ByteArrayInputStream(data), "video/mp4");
        app.app.storage().put("downloads/rng/" + jobId + "/audio.mp3", new ByteArrayInputStream("mp3".getBytes()), "audio/mpeg");
    }

    @AfterAll
    void stop() {
        app.close();
        runner.close();
    }

    private HttpResponse<byte[]> get(String path, String range, String method) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.base.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody());
        if (range != null) {
            b.header("Range", range);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @ParameterizedTest
    @CsvSource({
            "bytes=0-99, 0, 99",
            "bytes=100-, 100, " + (SIZE - 1),
            "bytes=-100, " + (SIZE - 100) + ", " + (SIZE - 1),
            "bytes=0-0, 0, 0",
            "bytes=5-99999999, 5, " + (SIZE - 1),
    })
    void partialContent(String range, long start, long end) throws Exception {
        assertPartial(get("/artifacts/" + jobId, range, "GET"), data, start, end, "video/mp4");
    }

    /** A 206 with bytes {@code start..end} of {@code data}, byte-exact, and the headers /artifacts promises. */
    static void assertPartial(HttpResponse<byte[]> r, byte[] data, long start, long end, String contentType) {
        assertEquals(206, r.statusCode());
        assertArrayEquals(Arrays.copyOfRange(data, (int) start, (int) end + 1), r.body());
        assertEquals("bytes " + start + "-" + end + "/" + data.length, r.headers().firstValue("content-range").orElse(""));
        assertEquals(String.valueOf(end - start + 1), r.headers().firstValue("content-length").orElse(""));
        assertEquals("bytes", r.headers().firstValue("accept-ranges").orElse(""));
        assertEquals(contentType, r.headers().firstValue("content-type").orElse(""));
        assertTrue(r.headers().firstValue("etag").isPresent());
    }

    @Test
    void wholeObjectAndHead() throws Exception {
        HttpResponse<byte[]> r = get("/artifacts/" + jobId, null, "GET");
        assertEquals(200, r.statusCode());
        assertArrayEquals(data, r.body());
        assertEquals(String.valueOf(SIZE), r.headers().firstValue("content-length").orElse(""));
        HttpResponse<byte[]> head = get("/artifacts/" + jobId, null, "HEAD");
        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        assertEquals(String.valueOf(SIZE), head.headers().firstValue("content-length").orElse(""));
        assertEquals(r.headers().firstValue("etag"), head.headers().firstValue("etag"));
        HttpResponse<byte[]> audio = get("/artifacts/" + jobId + "?kind=audio", null, "GET");
        assertEquals(200, audio.statusCode());
        assertEquals("audio/mpeg", audio.headers().firstValue("content-type").orElse(""));
        assertArrayEquals("mp3".getBytes(), audio.body());
    }

    @Test
    void unsatisfiableMalformedAndMissing() throws Exception {
        HttpResponse<byte[]> beyond = get("/artifacts/" + jobId, "bytes=" + SIZE + "-", "GET");
        assertEquals(416, beyond.statusCode());
        assertEquals("bytes */" + SIZE, beyond.headers().firstValue("content-range").orElse(""));
        // a malformed header is ignored (RFC 9110 allows it): the whole object with 200
        for (String bad : new String[]{"bytes=abc", "items=0-5", "bytes=9-3", "bytes=0-1,5-6"}) {
            HttpResponse<byte[]> r = get("/artifacts/" + jobId, bad, "GET");
            assertEquals(200, r.statusCode(), bad);
            assertArrayEquals(data, r.body(), bad);
        }
        assertEquals(404, get("/artifacts/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", null, "GET").statusCode());
        assertEquals(404, get("/artifacts/" + jobId + "?kind=metadata", null, "GET").statusCode(), "object not in the bucket");
        assertEquals(400, get("/artifacts/" + jobId + "?kind=poster", null, "GET").statusCode());
    }
}
