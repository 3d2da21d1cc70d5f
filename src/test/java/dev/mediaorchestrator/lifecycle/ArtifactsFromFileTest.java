package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * #20: with the embedded store, {@code GET /artifacts} sends the object's own file (Vert.x
 * {@code sendFile}, the kernel's sendfile) for whole objects and single ranges, byte-exact, with the
 * relay's headers. HTTP/1.1, as browsers, curl and Node speak to a plain-http server: an HTTP/2
 * (h2c) request is relayed (see ArtifactsRangeTest, whose client upgrades to h2c). That the file
 * was sent, not relayed, is read from {@code mediaorch_artifact_responses_total{how}}.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArtifactsFromFileTest {
    static final int SIZE = 3 * 1024 * 1024 + 17;
    /** Over one part (8 MiB): uploaded as a multipart upload, which the store assembles into one file. */
    static final int MULTIPART_SIZE = 9 * 1024 * 1024 + 5;
    private final byte[] data = new byte[SIZE];
    private final byte[] large = new byte[MULTIPART_SIZE];
    private final HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    private StubHttpServer runner;
    private RunningApp app;
    private String jobId;
    private String largeJobId;

    @BeforeAll
    void start() throws Exception {
        new Random(20).nextBytes(data);
        new Random(21).nextBytes(large);
        runner = new StubHttpServer();
        runner.on("/render", ex -> StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes()));
        app = RunningApp.start(Map.of("CONTAINER_BASE_URL", runner.base().toString()));
        jobId = app.newDownloadJob("file1");
        app.app.storage().put("downloads/file1/" + jobId + "/video.mp4", new ByteArrayInputStream(data), "video/mp4");
        app.app.storage().put("downloads/file1/" + jobId + "/audio.mp3", new ByteArrayInputStream("mp3".getBytes()), "audio/mpeg");
        largeJobId = app.newDownloadJob("file2");
        app.app.storage().put("downloads/file2/" + largeJobId + "/video.mp4", new ByteArrayInputStream(large), "video/mp4");
    }

    @AfterAll
    void stop() {
        app.close();
        runner.close();
    }

    private HttpResponse<byte[]> get(HttpClient client, String path, String range, String method) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.base.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody());
        if (range != null) {
            b.header("Range", range);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Asserts that {@code mediaorch_artifact_responses_total{how}} reaches {@code expected}: an
     * answer is counted once its head is out, which the client may see before the count (a
     * one-byte range is sent whole before the handler that sent it goes on), so it is awaited.
     */
    private void assertAnswered(double expected, String how, String message) {
        Wait.until(message + ": " + how + " answers counted", Duration.ofSeconds(10), () -> answered(how) >= expected);
        assertEquals(expected, answered(how), message);
    }

    /** {@code mediaorch_artifact_responses_total{endpoint="artifacts",how}} (0 while there is no such series). */
    private double answered(String how) {
        return app.metric("mediaorch_artifact_responses_total", "endpoint", "artifacts", "how", how);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "bytes=0-0, 0, 0",                                              // the first byte
            "bytes=" + (SIZE - 1) + "-" + (SIZE - 1) + ", " + (SIZE - 1) + ", " + (SIZE - 1), // the last byte
            "bytes=-1, " + (SIZE - 1) + ", " + (SIZE - 1),                  // suffix: the last byte
            "bytes=-100, " + (SIZE - 100) + ", " + (SIZE - 1),              // suffix
            "bytes=-99999999, 0, " + (SIZE - 1),                            // a suffix longer than the object: all of it
            "bytes=100-, 100, " + (SIZE - 1),                               // open
            "bytes=1048576-2097151, 1048576, 2097151",                      // a middle MiB
            "bytes=5-99999999, 5, " + (SIZE - 1),                           // an end beyond the object
    })
    void rangesAreSentFromTheFileByteExact(String range, long start, long end) throws Exception {
        double before = answered("file");
        ArtifactsRangeTest.assertPartial(get(http1, "/artifacts/" + jobId, range, "GET"), data, start, end, "video/mp4");
        assertAnswered(before + 1, "file", "sent from the file, not relayed");
    }

    @Test
    void wholeObjectsAndTheMultipartOneAreSentFromTheirFiles() throws Exception {
        double before = answered("file");
        HttpResponse<byte[]> r = get(http1, "/artifacts/" + jobId, null, "GET");
        assertEquals(200, r.statusCode());
        assertArrayEquals(data, r.body());
        assertEquals(String.valueOf(SIZE), r.headers().firstValue("content-length").orElse(""));
        HttpResponse<byte[]> audio = get(http1, "/artifacts/" + jobId + "?kind=audio", null, "GET");
        assertEquals(200, audio.statusCode());
        assertEquals("audio/mpeg", audio.headers().firstValue("content-type").orElse(""));
        assertArrayEquals("mp3".getBytes(), audio.body());
        HttpResponse<byte[]> assembled = get(http1, "/artifacts/" + largeJobId, null, "GET");
        assertEquals(200, assembled.statusCode());
        assertArrayEquals(large, assembled.body(), "a multipart upload is one plain file in the store");
        HttpResponse<byte[]> tail = get(http1, "/artifacts/" + largeJobId, "bytes=8388600-", "GET");
        assertEquals(206, tail.statusCode());
        assertArrayEquals(Arrays.copyOfRange(large, 8388600, MULTIPART_SIZE), tail.body(), "across the part boundary");
        assertAnswered(before + 4, "file", "answers");
    }

    @Test
    void theFilesHeadersAreTheRelays() throws Exception {
        for (String range : new String[]{null, "bytes=10-20", "bytes=-5"}) {
            HttpResponse<byte[]> file = get(http1, "/artifacts/" + jobId, range, "GET");
            HttpResponse<byte[]> relayed = get(http2, "/artifacts/" + jobId, range, "GET");
            assertEquals(HttpClient.Version.HTTP_2, relayed.version(), "h2c: relayed");
            assertEquals(relayed.statusCode(), file.statusCode(), range);
            assertArrayEquals(relayed.body(), file.body(), range);
            for (String h : List.of("content-type", "content-length", "content-range", "etag", "accept-ranges")) {
                assertEquals(relayed.headers().firstValue(h), file.headers().firstValue(h), h + " for " + range);
            }
        }
    }

    @Test
    void unsatisfiableMalformedHeadAndMissing() throws Exception {
        double before = answered("file");
        HttpResponse<byte[]> beyond = get(http1, "/artifacts/" + jobId, "bytes=" + SIZE + "-", "GET");
        assertEquals(416, beyond.statusCode());
        assertEquals("bytes */" + SIZE, beyond.headers().firstValue("content-range").orElse(""));
        assertEquals(416, get(http1, "/artifacts/" + jobId, "bytes=-0", "GET").statusCode());
        // a malformed or multi-range header is ignored, as by the relay: the whole object with 200
        for (String bad : new String[]{"bytes=abc", "items=0-5", "bytes=9-3", "bytes=0-1,5-6"}) {
            HttpResponse<byte[]> r = get(http1, "/artifacts/" + jobId, bad, "GET");
            assertEquals(200, r.statusCode(), bad);
            assertArrayEquals(data, r.body(), bad);
        }
        HttpResponse<byte[]> head = get(http1, "/artifacts/" + jobId, "bytes=0-9", "HEAD");
        assertEquals(206, head.statusCode());
        assertEquals(0, head.body().length);
        assertEquals("10", head.headers().firstValue("content-length").orElse(""));
        assertEquals(404, get(http1, "/artifacts/" + jobId + "?kind=metadata", null, "GET").statusCode());
        assertAnswered(before + 4, "file", "the four whole objects; no file for 416, HEAD or 404");
    }

    @Test
    void anObjectThatIsNotAPlainFileIsRelayed() throws Exception {
        String id = app.newDownloadJob("file3");
        String key = "downloads/file3/" + id + "/video.mp4";
        app.app.storage().put(key, new ByteArrayInputStream(data), "video/mp4");
        Path file = app.app.config().embeddedS3Dir.resolve(app.app.config().bucket).resolve(key);
        assertTrue(Files.isRegularFile(file), "the store keeps the object as a plain file under bucket/key: " + file);
        double files = answered("file");
        double relays = answered("relay");
        assertArrayEquals(data, get(http1, "/artifacts/" + id, null, "GET").body());
        assertAnswered(files + 1, "file", "answers");
        // the key's path is now a link (the store follows it; the file check does not): relayed
        Path elsewhere = app.dataDir.resolve("elsewhere.mp4");
        Files.move(file, elsewhere);
        Files.createSymbolicLink(file, elsewhere);
        HttpResponse<byte[]> r = get(http1, "/artifacts/" + id, "bytes=7-", "GET");
        assertEquals(206, r.statusCode());
        assertArrayEquals(Arrays.copyOfRange(data, 7, SIZE), r.body());
        assertAnswered(files + 1, "file", "answers");
        assertAnswered(relays + 1, "relay", "answers");
    }
}
