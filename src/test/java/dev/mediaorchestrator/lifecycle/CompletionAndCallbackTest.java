package dev.mediaorchestrator.lifecycle;

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

import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.HashMap;

/**
 * A stand-in runner that only PUTs the output to its presigned URL and never calls back: the
 * completion timer completes the job and the app gets exactly one signed callback; and a
 * callback the app refuses three times is retried with the same nonce until it is taken.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompletionAndCallbackTest {
    private final byte[] rendered = new byte[300_000];
    private final ExecutorService background = Executors.newCachedThreadPool();
    private final HttpClient http = ValidatingHttpClient.wrap(HttpClient.newHttpClient());
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        new Random(5).nextBytes(rendered);
        next = new AppStandIn(new dev.mediaorchestrator.common.Hmac(RunningApp.SECRET));
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            Map<String, Object> payload = Json.parseObject(runner.record(ex).body());
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            background.submit(() -> {
                Thread.sleep(200);
                return dev.mediaorchestrator.support.Put.put(URI.create((String) payload.get("outputPutUrl")), "video/mp4", rendered);
            });
        });
        app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                "TRANSFER_MODE", "direct", "COMPLETION_POLL_INTERVAL_MS", "300",
                "CALLBACK_RETRY_SCHEDULE", "1s,1s,1s,1s,1s"));
    }

    @AfterAll
    void stop() {
        app.close();
        runner.close();
        next.close();
        background.shutdownNow();
    }

    private String submit(String mediaId) throws Exception {
        next.media(mediaId, "source", "video".getBytes()).media(mediaId, "subtitles", "WEBVTT\n".getBytes());
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    @Test
    void outputsInTheBucketCompleteTheJobWithoutPollingAndTheAppHearsOnce() throws Exception {
        String jobId = submit("silent1");
        Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals(0, next.badSignatures.get());
        assertEquals("completed", cb.get("status"));
        assertEquals("silent1", cb.get("mediaId"));
        assertEquals("burner-ffmpeg", cb.get("engine"));
        assertEquals("outputs/by-media/silent1/" + jobId + "/video.mp4", cb.get("outputKey"));
        assertNotNull(cb.get("nonce"));
        assertTrue(((Number) cb.get("durationMs")).longValue() >= 0);
        assertEquals(1, cb.get("attempts"));
        HttpResponse<byte[]> video = http.send(HttpRequest.newBuilder(URI.create((String) cb.get("outputUrl"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, video.statusCode());
        assertArrayEquals(rendered, video.body());

        Thread.sleep(1500); // several more timer runs: still one callback
        assertEquals(1, next.acceptedFor(jobId).size());
        Map<String, Object> doc = recordedDelivery(jobId); // the app's 200 comes before the service records it
        assertEquals("completed", doc.get("status"));
        assertEquals(1.0, ((Number) doc.get("progress")).doubleValue());
        assertEquals(Map.of("delivered", true, "attempts", 1, "lastError", "null", "nextAttemptAt", "null", "lastStatus", 200),
                stringify((Map<?, ?>) doc.get("callback")));
    }

    @Test
    void aRefusedCallbackIsRetriedWithTheSameNonceUntilTaken() throws Exception {
        next.failNext.set(3);
        String jobId = submit("retry1");
        Wait.until("the callback to be accepted", Duration.ofSeconds(60), () -> !next.acceptedFor(jobId).isEmpty());
        List<Map<String, Object>> attempts = next.attempts.stream().filter(m -> jobId.equals(m.get("jobId"))).toList();
        assertEquals(4, attempts.size());
        assertEquals(1, next.acceptedFor(jobId).size());
        assertEquals(1, attempts.stream().map(m -> m.get("nonce")).distinct().count(), "one nonce for every attempt");
        // the app's 200 comes before the orchestrator records it: the document follows within moments
        Map<String, Object> doc = recordedDelivery(jobId);
        assertEquals(Map.of("delivered", true, "attempts", 4, "lastError", "null", "nextAttemptAt", "null", "lastStatus", 200), stringify((Map<?, ?>) doc.get("callback")));
    }

    private Map<String, Object> recordedDelivery(String jobId) {
        return app.awaitDeliveryRecorded(jobId);
    }

    private static Map<String, Object> stringify(Map<?, ?> m) {
        Map<String, Object> out = new HashMap<>();
        m.forEach((k, v) -> out.put((String) k, v == null ? "null" : v));
        return out;
    }
}
