package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replays create nothing; dispatches are signed; an unreachable runner leaves the job visibly queued. */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayAndDispatchTest {
    private StubHttpServer runner;
    private RunningApp app;
    private RunningApp appWithoutRunner;

    @BeforeAll
    void start() throws Exception {
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            runner.record(ex);
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
        });
        app = RunningApp.start(Map.of("CONTAINER_BASE_URL", runner.base().toString()));
        int closedPort = dev.mediaorchestrator.support.TestServers.freePort();
        appWithoutRunner = RunningApp.start(Map.of("CONTAINER_BASE_URL", "http://127.0.0.1:" + closedPort));
    }

    @AfterAll
    void stop() {
        app.close();
        appWithoutRunner.close();
        runner.close();
    }

    private static Map<String, Object> downloadBody(String mediaId) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("mediaId", mediaId);
        b.put("engine", "media-downloader");
        b.put("options", Map.of("url", "https://example.com/v/" + mediaId));
        b.put("ts", System.currentTimeMillis());
        return b;
    }

    private List<Map<String, Object>> dispatchesFor(String mediaId) {
        return runner.requests("/render").stream().map(r -> Json.parseObject(r.body()))
                .filter(m -> mediaId.equals(m.get("mediaId"))).toList();
    }

    @Test
    void replayedBodyReturnsTheSameJobAndDispatchesOnce() throws Exception {
        byte[] body = Json.writeBytes(downloadBody("replay1"));
        HttpResponse<String> first = app.postRaw("/jobs", body, Map.of());
        HttpResponse<String> again = app.postRaw("/jobs", body, Map.of());
        assertEquals(202, first.statusCode());
        assertEquals(202, again.statusCode());
        assertEquals(json(first).get("jobId"), json(again).get("jobId"));
        assertEquals(1, dispatchesFor("replay1").size());

        StubHttpServer.Recorded d = runner.requests("/render").stream()
                .filter(r -> r.bodyText().contains("\"replay1\"")).findFirst().orElseThrow();
        assertTrue(app.hmac.verify(d.body(), d.headers().get("x-signature")), "dispatch carries a valid x-signature");
        Map<String, Object> payload = Json.parseObject(d.body());
        assertEquals(json(first).get("jobId"), payload.get("jobId"));
        assertNotNull(payload.get("nonce"));
        assertTrue(Math.abs(System.currentTimeMillis() - ((Number) payload.get("ts")).longValue()) < 60_000);
        for (String f : List.of("outputVideoPutUrl", "outputAudioPutUrl", "outputMetadataPutUrl",
                "outputVideoKey", "outputAudioKey", "outputMetadataKey", "callbackUrl", "engineOptions")) {
            assertNotNull(payload.get(f), f);
        }
        String jobId = (String) payload.get("jobId");
        assertEquals("downloads/replay1/" + jobId + "/audio.mp3", payload.get("outputAudioKey"));
        // fallback mode (no R2_S3_*): orchestrator-signed upload URLs
        assertTrue(((String) payload.get("outputAudioPutUrl")).startsWith(app.base + "/upload/" + jobId + "?kind=audio&exp="));
    }

    @Test
    void concurrentCopiesOfOneRequestMakeOneJob() throws Exception {
        byte[] body = Json.writeBytes(downloadBody("replay2"));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                fs.add(pool.submit(() -> app.postRaw("/jobs", body, Map.of())));
            }
            Set<Object> ids = new HashSet<>();
            for (Future<HttpResponse<String>> f : fs) {
                HttpResponse<String> r = f.get();
                assertEquals(202, r.statusCode(), r.body());
                ids.add(json(r).get("jobId"));
            }
            assertEquals(1, ids.size(), ids.toString());
            // the dispatch may be the timer's (it can take the job while the request's own attempt
            // waits): wait for it, then make sure there was only one
            dev.mediaorchestrator.support.Wait.until("the dispatch", Duration.ofSeconds(10), () -> !dispatchesFor("replay2").isEmpty());
            Thread.sleep(700);
            assertEquals(1, dispatchesFor("replay2").size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void idempotencyKeyReturnsTheFirstJob() throws Exception {
        HttpResponse<String> first = app.postRaw("/jobs", Json.writeBytes(downloadBody("idem1")), Map.of("Idempotency-Key", "k-123"));
        Thread.sleep(5);
        HttpResponse<String> second = app.postRaw("/jobs", Json.writeBytes(downloadBody("idem1")), Map.of("Idempotency-Key", "k-123"));
        assertEquals(json(first).get("jobId"), json(second).get("jobId"));
        assertEquals(1, dispatchesFor("idem1").size());
        HttpResponse<String> other = app.postRaw("/jobs", Json.writeBytes(downloadBody("idem1")), Map.of("Idempotency-Key", "k-456"));
        assertTrue(!json(first).get("jobId").equals(json(other).get("jobId")));
    }

    @Test
    void aRejectedRequestIsNotRemembered() throws Exception {
        Map<String, Object> b = downloadBody("rejected");
        b.put("options", Map.of());
        byte[] body = Json.writeBytes(b);
        assertEquals(400, app.postRaw("/jobs", body, Map.of("Idempotency-Key", "k-rej")).statusCode());
        HttpResponse<String> fixed = app.postRaw("/jobs", Json.writeBytes(downloadBody("rejected")), Map.of("Idempotency-Key", "k-rej"));
        assertEquals(202, fixed.statusCode(), "the key was released: a corrected request goes through");
    }

    @Test
    void unreachableRunnerLeavesTheJobQueuedWithTheReason() throws Exception {
        long t0 = System.currentTimeMillis();
        HttpResponse<String> r = appWithoutRunner.postSigned("/jobs", downloadBody("norunner"));
        assertEquals(202, r.statusCode());
        assertEquals("queued", json(r).get("status"));
        Map<String, Object> doc = json(appWithoutRunner.get("/jobs/" + json(r).get("jobId")));
        assertEquals("queued", doc.get("status"));
        @SuppressWarnings("unchecked")
        Map<String, Object> dispatch = (Map<String, Object>) doc.get("dispatch");
        assertEquals(false, dispatch.get("accepted"));
        assertTrue(((String) dispatch.get("lastError")).startsWith("runner unreachable"), String.valueOf(dispatch.get("lastError")));
        // the request's own attempt; the dispatch timer retries only after the backoff (a slow
        // machine may get there before this read)
        int attempts = ((Number) doc.get("attempts")).intValue();
        assertTrue(attempts >= 1, "attempts: " + attempts);
        if (attempts > 1) {
            long last = ((Number) dispatch.get("lastAttemptAt")).longValue();
            assertTrue(last - t0 >= DispatchAttempts.FIRST_RETRY_MS, "retried " + (last - t0) + " ms after the request: before the backoff");
        }
    }
}
