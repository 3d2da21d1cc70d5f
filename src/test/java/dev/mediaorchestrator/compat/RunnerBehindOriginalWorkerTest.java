package dev.mediaorchestrator.compat;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.storage.Storage;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.support.WorkerPresigner;
import dev.mediaorchestrator.testutil.TestMedia;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;

/**
 * Our burner runner behind the original Cloudflare Worker (CONTRACT.md, "Compatibility with the
 * original's parts"). The Worker stand-in dispatches as the original does: a plain JSON body with
 * no {@code ts}, no {@code nonce} and no {@code x-signature}; it presigns the inputs and the output
 * with the AWS SDK against the embedded store (which checks SigV4), the output with
 * {@code content-type;host;x-amz-content-sha256} signed; it takes the runner's callbacks only when
 * their signature verifies. A whole burn must end in the bucket with a {@code completed} callback.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunnerBehindOriginalWorkerTest {
    private static final String BUCKET = "worker-bucket";
    private final HttpClient http = HttpClient.newHttpClient();
    private final Hmac hmac = new Hmac(RunningApp.SECRET);
    private final AtomicInteger badCallbackSignatures = new AtomicInteger();
    private TestMedia.TempDir root;
    private EmbeddedS3 s3;
    private Storage storage;
    private WorkerPresigner presigner;
    private StubHttpServer worker;
    private RunningApp unsignedRunner;
    private RunningApp signedRunner;

    @BeforeAll
    void start() throws Exception {
        root = TestMedia.tempDir("mo-worker-");
        s3 = dev.mediaorchestrator.support.TestServers.embeddedS3(root.resolve("bucket"));
        s3.createBucket(BUCKET);
        storage = new Storage(s3.endpoint(), s3.accessKey(), s3.secretKey(), "auto", BUCKET);
        presigner = new WorkerPresigner(s3, BUCKET);
        Path clip = TestMedia.generateClip(root.resolve("clip.mp4"), 2.0, true);
        try (InputStream in = Files.newInputStream(clip)) {
            storage.put("inputs/videos/w1.mp4", in, "video/mp4", Files.size(clip));
        }
        byte[] vtt = "WEBVTT\n\n00:00.200 --> 00:01.800\nHello\n你好\n".getBytes(StandardCharsets.UTF_8);
        storage.put("inputs/subtitles/w1.vtt", new ByteArrayInputStream(vtt), "text/vtt", vtt.length);
        worker = new StubHttpServer();
        worker.on("/internal/callback", ex -> {
            StubHttpServer.Recorded r = worker.record(ex);
            boolean ok = hmac.verify(r.body(), r.headers().get("x-signature"));
            if (!ok) {
                badCallbackSignatures.incrementAndGet();
            }
            StubHttpServer.respond(ex, ok ? 200 : 401, "application/json", (ok ? "{\"ok\":true}" : "{\"error\":\"invalid signature\"}").getBytes());
        });
        Map<String, String> env = Map.of("ROLES", "burner", "RUNNER_WORK_DIR", root.resolve("work").toString(),
                "BURNER_X264_PRESET", "ultrafast");
        Map<String, String> unsigned = new HashMap<>(env);
        unsigned.put("RUNNER_REQUIRE_SIGNATURE", "false");
        unsignedRunner = RunningApp.start(unsigned);
        signedRunner = RunningApp.start(env);
    }

    @AfterAll
    void stop() {
        unsignedRunner.close();
        signedRunner.close();
        worker.close();
        presigner.close();
        storage.close();
        s3.close();
        root.close();
    }

    /** The Worker's dispatch body: the contract's burner fields, nothing else. */
    private Map<String, Object> workerPayload(String jobId) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobId", jobId);
        p.put("mediaId", "w1");
        p.put("engine", "burner-ffmpeg");
        p.put("callbackUrl", worker.base() + "/internal/callback");
        p.put("engineOptions", Map.of());
        p.put("inputVideoUrl", presigner.get("inputs/videos/w1.mp4").toString());
        p.put("inputVttUrl", presigner.get("inputs/subtitles/w1.vtt").toString());
        p.put("outputPutUrl", presigner.put("outputs/by-media/w1/" + jobId + "/video.mp4", "video/mp4").toString());
        p.put("outputVideoKey", "outputs/by-media/w1/" + jobId + "/video.mp4");
        return p;
    }

    private HttpResponse<String> dispatchUnsigned(RunningApp runner, Map<String, Object> body) throws Exception {
        return http.send(HttpRequest.newBuilder(runner.base.resolve("/render"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(body))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<Map<String, Object>> callbacks(String jobId) {
        return worker.requests("/internal/callback").stream().map(r -> Json.parseObject(r.body()))
                .filter(m -> jobId.equals(m.get("jobId"))).toList();
    }

    @Test
    void anUnsignedDispatchWithoutTsIsBurnedAndUploadedToTheWorkersUrl() throws Exception {
        String jobId = "job_workerburn1aaaaaaaaaaaaaaa";
        HttpResponse<String> r = dispatchUnsigned(unsignedRunner, workerPayload(jobId));
        assertEquals(202, r.statusCode(), r.body());
        Wait.until("the runner's terminal callback", Duration.ofSeconds(90), () -> callbacks(jobId).stream()
                .anyMatch(m -> "completed".equals(m.get("status")) || "failed".equals(m.get("status"))));
        Map<String, Object> last = callbacks(jobId).get(callbacks(jobId).size() - 1);
        assertEquals("completed", last.get("status"), String.valueOf(last.get("error")));
        Storage.ObjectInfo out = storage.head("outputs/by-media/w1/" + jobId + "/video.mp4").orElseThrow();
        assertEquals("video/mp4", out.contentType());
        assertTrue(out.size() > 1000, "a real mp4 in the bucket: " + out.size());
        assertEquals(0, badCallbackSignatures.get(), "the runner's callbacks verify with the shared secret");
    }

    @Test
    void aTsThatIsPresentIsStillChecked() throws Exception {
        Map<String, Object> body = workerPayload("job_workerstale1aaaaaaaaaaaaaa");
        body.put("ts", System.currentTimeMillis() - 3_600_000);
        HttpResponse<String> r = dispatchUnsigned(unsignedRunner, body);
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("stale or missing ts", RunningApp.json(r).get("error"));
    }

    @Test
    void aRunnerThatRequiresSignaturesStillRefusesTheUnsignedDispatch() throws Exception {
        HttpResponse<String> r = dispatchUnsigned(signedRunner, workerPayload("job_workersigned1aaaaaaaaaaaaa"));
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("missing signature", RunningApp.json(r).get("error"));
        Map<String, Object> body = workerPayload("job_workersigned2aaaaaaaaaaaaa");
        HttpResponse<String> signedNoTs = signedRunner.postSigned("/render", body);
        assertEquals(401, signedNoTs.statusCode(), "a signed body needs its ts: " + signedNoTs.body());
    }
}
