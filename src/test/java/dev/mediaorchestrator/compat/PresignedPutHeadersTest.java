package dev.mediaorchestrator.compat;

import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.Transfers;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.WorkerPresigner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * CONTRACT.md, "Presigned PUT headers": the original Worker presigns output PUTs with
 * {@code X-Amz-SignedHeaders=content-type;host;x-amz-content-sha256}. Host-only URLs come from the
 * AWS SDK's presigner, the Worker's from {@link WorkerPresigner}; the embedded store checks SigV4:
 * a PUT without the signed payload-hash header is refused (so these tests can fail), and the
 * runner's upload sends it.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PresignedPutHeadersTest {
    private static final String BUCKET = "compat-bucket";
    private Path dir;
    private Path files;
    private EmbeddedS3 s3;
    private Storage storage;
    private WorkerPresigner presigner;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        dir = TestServers.tempDir("mo-compat-s3");
        files = TestServers.tempDir("mo-compat-files");
        s3 = dev.mediaorchestrator.support.TestServers.embeddedS3(dir);
        s3.createBucket(BUCKET);
        storage = new Storage(s3.endpoint(), s3.accessKey(), s3.secretKey(), "auto", BUCKET);
        presigner = new WorkerPresigner(s3, BUCKET);
    }

    @AfterAll
    void stop() {
        presigner.close();
        storage.close();
        s3.close();
        TestServers.deleteRecursively(dir);
        TestServers.deleteRecursively(files);
    }

    /** As the original Worker presigns an output: Content-Type and the payload hash header signed. */
    private URI presignLikeTheWorker(String key, String contentType) {
        return presigner.put(key, contentType);
    }

    private Path file(String name, int size, int seed) throws Exception {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(files.resolve(name), b);
    }

    private byte[] stored(String key) throws Exception {
        try (InputStream in = storage.get(key, null, null)) {
            return in.readAllBytes();
        }
    }

    /** {@code X-Amz-SignedHeaders} of a URL, as written. */
    private static String signedHeadersOf(URI url) {
        for (String param : url.getRawQuery().split("&")) {
            if (param.startsWith("X-Amz-SignedHeaders=")) {
                return URLDecoder.decode(param.substring("X-Amz-SignedHeaders=".length()), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    @Test
    void theWorkersUrlSignsThePayloadHashHeader() throws Exception {
        assertEquals("content-type;host;x-amz-content-sha256", signedHeadersOf(presignLikeTheWorker("outputs/by-media/m/job_a/video.mp4", "video/mp4")));
        assertEquals("content-type;host", signedHeadersOf(storage.presignPut("k", "video/mp4", Duration.ofMinutes(1))));
    }

    @Test
    void theStoreRefusesAPutWithoutTheSignedHeader() throws Exception {
        URI url = presignLikeTheWorker("outputs/by-media/m/job_b/video.mp4", "video/mp4");
        HttpResponse<String> onlyContentType = http.send(HttpRequest.newBuilder(url).header("Content-Type", "video/mp4")
                .PUT(HttpRequest.BodyPublishers.ofString("bytes")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, onlyContentType.statusCode(), "the stand-in store must be as strict as R2: " + onlyContentType.body());
        assertFalse(storage.exists("outputs/by-media/m/job_b/video.mp4"));
    }

    @Test
    void theRunnersUploadToTheWorkersUrlIsStored() throws Exception {
        String key = "downloads/m/job_c/video.mp4";
        Path f = file("c.mp4", 700_000, 1);
        new Transfers().upload("video", f, presignLikeTheWorker(key, "video/mp4").toString(), "video/mp4");
        assertArrayEquals(Files.readAllBytes(f), stored(key));
        assertEquals("video/mp4", storage.head(key).orElseThrow().contentType());

        String meta = "downloads/m/job_c/metadata.json";
        Path m = Files.writeString(files.resolve("c.json"), "{\"title\":\"t\"}");
        new Transfers().upload("metadata", m, presignLikeTheWorker(meta, "application/json").toString(), "application/json");
        assertArrayEquals(Files.readAllBytes(m), stored(meta));
    }

    @Test
    void theWorkerStandInSignsCorrectly() throws Exception {
        // the same SigV4 code with only host signed: the store takes a plain PUT, so a 403 above is the header's
        String key = "outputs/by-media/m/job_f/video.mp4";
        assertEquals(200, dev.mediaorchestrator.support.Put.put(presigner.putHostOnly(key), "video/mp4", "bytes".getBytes()));
        assertArrayEquals("bytes".getBytes(), stored(key));
    }

    @Test
    void ourOwnPresignedUrlKeepsWorking() throws Exception {
        String key = "outputs/by-media/m/job_d/video.mp4";
        Path f = file("d.mp4", 300_000, 2);
        new Transfers().upload("video", f, storage.presignPut(key, "video/mp4", Duration.ofMinutes(5)).toString(), "video/mp4");
        assertArrayEquals(Files.readAllBytes(f), stored(key));
    }

    @Test
    void anotherContentTypeThanSignedIsStillRefused() throws Exception {
        Path f = file("e.mp4", 1000, 3);
        RunnerFailure e = assertThrows(RunnerFailure.class, () -> new Transfers().upload("video", f,
                presignLikeTheWorker("outputs/by-media/m/job_e/video.mp4", "video/mp4").toString(), "audio/mpeg"));
        assertTrue(e.getMessage().contains("HTTP 403"), e.getMessage());
    }
}
