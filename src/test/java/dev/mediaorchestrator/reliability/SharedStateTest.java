package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.orchestrator.JobKeys;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One owner for job state (the bucket, with conditional writes): two orchestrators on one bucket,
 * restarts, a store that refuses writes, secrets at rest, a cancel during an in-flight dispatch.
 * A is on its embedded store; B uses A's store as its R2 endpoint.
 */
@IntegrationTest
class SharedStateTest {
    private final Path dataDir = TestServers.tempDir("mo-shared-a");
    /**
     * 0 until the first start picks a free port (tried again on another when a parallel test takes
     * it first); the restarts keep it, as the runner's URLs name it.
     */
    private int port;
    private final ExecutorService background = Executors.newCachedThreadPool();
    private final SignedHttp signed = new SignedHttp(new Hmac(RunningApp.SECRET));
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp a;
    private RunningApp b;

    @BeforeEach
    void start() {
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        runner = new StubHttpServer();
        runner.answer("/status/", 200, "{\"status\":\"running\",\"progress\":0.3}");
        runner.answer("/cancel/", 200, "{\"ok\":true}");
    }

    @AfterEach
    void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
        runner.close();
        next.close();
        background.shutdownNow();
        TestServers.deleteRecursively(dataDir);
    }

    private RunningApp startA() throws Exception {
        RunningApp started = RunningApp.start(envA());
        port = started.base.getPort();
        return started;
    }

    private Map<String, String> envA() {
        Map<String, String> env = new HashMap<>();
        if (port != 0) {
            env.put("PORT", String.valueOf(port));
        }
        env.put("DATA_DIR", dataDir.toString());
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("CONTAINER_BASE_URL", runner.base().toString());
        env.put("COMPLETION_POLL_INTERVAL_MS", "200");
        env.put("RUNNER_PROBE_SECONDS", "1");
        env.put("HEARTBEAT_TIMEOUT_SECONDS", "1"); // the old limit: silence on one replica's copy must fail nothing
        return env;
    }

    private RunningApp startB() throws Exception {
        EmbeddedS3 s3 = a.app.embeddedS3();
        Map<String, String> env = new HashMap<>(envA());
        env.remove("PORT");
        env.remove("DATA_DIR");
        env.put("R2_S3_ENDPOINT", s3.endpoint().toString());
        env.put("R2_ACCESS_KEY_ID", s3.accessKey());
        env.put("R2_SECRET_ACCESS_KEY", s3.secretKey());
        return RunningApp.start(env);
    }

    private void runnerAccepts() {
        runner.on("/render", ex -> {
            runner.record(ex);
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
        });
    }

    private Map<String, Object> payload(String jobId) {
        return runner.requests("/render").stream().map(r -> Json.parseObject(r.body()))
                .filter(p -> jobId.equals(p.get("jobId"))).findFirst().orElseThrow();
    }

    private String submitBurn(RunningApp app, String mediaId) throws Exception {
        next.media(mediaId, "source", "v".getBytes()).media(mediaId, "subtitles", "WEBVTT\n".getBytes());
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    private static String status(RunningApp app, String jobId) {
        try {
            return (String) json(app.get("/jobs/" + jobId)).get("status");
        } catch (Exception e) {
            return null;
        }
    }

    private Map<String, Object> record(String jobId) {
        return Json.parseObject(a.app.storage().getSmall(JobKeys.STATE_PREFIX + jobId + ".json").orElseThrow().data());
    }

    @Test
    void createdOnACanceledThroughBThenItsOutputAppears_everyViewAndTheAppAgree() throws Exception {
        runnerAccepts();
        a = startA();
        b = startB();
        String jobId = submitBurn(a, "split1");
        Wait.until("dispatch", Duration.ofSeconds(20), () -> !runner.requests("/render").isEmpty());
        assertTrue(status(b, jobId) != null, "B knows the job from the bucket");
        HttpResponse<String> cancel = b.postSigned("/jobs/" + jobId + "/cancel", Map.of("ts", System.currentTimeMillis(), "nonce", UUID.randomUUID().toString()));
        assertEquals(200, cancel.statusCode(), cancel.body());
        // the runner finished anyway: its output reaches the bucket through A's upload URL
        Put.put(URI.create((String) payload(jobId).get("outputPutUrl")), "video/mp4", "out".getBytes());
        Wait.until("the app's callback", Duration.ofSeconds(20), () -> !next.acceptedFor(jobId).isEmpty());
        Thread.sleep(1500); // several timer rounds on both
        assertEquals("canceled", status(a, jobId), "A");
        assertEquals("canceled", status(b, jobId), "B");
        assertEquals("canceled", record(jobId).get("status"), "the bucket");
        assertEquals(1, next.acceptedFor(jobId).size(), "the app heard once");
        assertEquals("canceled", next.acceptedFor(jobId).get(0).get("status"), "the app was told what the others say");
    }

    @Test
    void aJobPolledThroughThePeerForLongerThanTheOldHeartbeatCompletes() throws Exception {
        CountDownLatch upload = new CountDownLatch(1);
        runner.on("/render", ex -> {
            Map<String, Object> p = Json.parseObject(runner.record(ex).body());
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            background.submit(() -> { // reports progress to A every 300 ms, then uploads
                for (int i = 1; i <= 12; i++) {
                    Map<String, Object> cb = new LinkedHashMap<>();
                    cb.put("jobId", p.get("jobId"));
                    cb.put("status", "running");
                    cb.put("progress", 0.2 + i * 0.05);
                    cb.put("ts", System.currentTimeMillis());
                    cb.put("nonce", UUID.randomUUID().toString());
                    signed.post(URI.create((String) p.get("callbackUrl")), cb, Duration.ofSeconds(10));
                    Thread.sleep(300);
                }
                upload.await(30, TimeUnit.SECONDS);
                return Put.put(URI.create((String) p.get("outputPutUrl")), "video/mp4", "out".getBytes());
            });
        });
        a = startA();
        b = startB();
        String jobId = submitBurn(a, "peer1");
        long until = System.currentTimeMillis() + 3500;
        while (System.currentTimeMillis() < until) {
            assertFalse("failed".equals(status(b, jobId)), "polled through B, the job stays healthy");
            Thread.sleep(200);
        }
        upload.countDown();
        Wait.until("the app's callback", Duration.ofSeconds(20), () -> !next.acceptedFor(jobId).isEmpty());
        Thread.sleep(800);
        assertEquals(1, next.acceptedFor(jobId).size());
        assertEquals("completed", next.acceptedFor(jobId).get(0).get("status"), String.valueOf(next.acceptedFor(jobId).get(0).get("error")));
        assertTrue(runner.requests("/cancel/").isEmpty(), "no replica told the runner to stop");
    }

    @Test
    void anExactReplayOnThePeerAndAfterARestartReturnsTheOriginalJob() throws Exception {
        runnerAccepts();
        a = startA();
        b = startB();
        next.media("rp1", "source", "v".getBytes()).media("rp1", "subtitles", "WEBVTT\n".getBytes());
        byte[] body = Json.writeBytes(Map.of("mediaId", "rp1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis(),
                "nonce", UUID.randomUUID().toString()));
        HttpResponse<String> first = a.postRaw("/jobs", body, Map.of());
        assertEquals(202, first.statusCode(), first.body());
        String jobId = (String) json(first).get("jobId");
        HttpResponse<String> onB = b.postRaw("/jobs", body, Map.of());
        assertEquals(202, onB.statusCode(), onB.body());
        assertEquals(jobId, json(onB).get("jobId"), "the peer answers the original job");

        // an Idempotency-Key given to A, then to B with another body
        Map<String, String> key = Map.of("Idempotency-Key", "order-" + UUID.randomUUID());
        String k1 = (String) json(a.postRaw("/jobs", Json.writeBytes(Map.of("mediaId", "rp1", "engine", "burner-ffmpeg",
                "ts", System.currentTimeMillis())), key)).get("jobId");
        String k2 = (String) json(b.postRaw("/jobs", Json.writeBytes(Map.of("mediaId", "rp1", "engine", "burner-ffmpeg",
                "ts", System.currentTimeMillis() + 1)), key)).get("jobId");
        assertEquals(k1, k2);

        b.close();
        b = null;
        a.close();
        a = startA();
        HttpResponse<String> afterRestart = a.postRaw("/jobs", body, Map.of());
        assertEquals(202, afterRestart.statusCode(), afterRestart.body());
        assertEquals(jobId, json(afterRestart).get("jobId"), "after a restart too");
        Thread.sleep(500);
        assertEquals(2, runner.requests("/render").size(), "two jobs in all, each dispatched once");
    }

    @Test
    void aTsMoreThanAMinuteInTheFutureIsRefused() throws Exception {
        a = startA();
        HttpResponse<String> r = a.postSigned("/jobs", Map.of("mediaId", "m1", "engine", "burner-ffmpeg",
                "ts", System.currentTimeMillis() + 120_000));
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("stale or missing ts", json(r).get("error"));
    }

    @Test
    void aStoreThatRefusesWritesGets503AndNoJob() throws Exception {
        runnerAccepts();
        a = startA();
        String known = submitBurn(a, "down0");
        Wait.until("dispatch", Duration.ofSeconds(20), () -> !runner.requests("/render").isEmpty());
        EmbeddedS3 s3 = a.app.embeddedS3();
        int s3Port = s3.port();
        s3.close(); // the store is gone: nothing can be written
        HttpResponse<String> r = a.postSigned("/jobs", Map.of("mediaId", "down1", "engine", "media-downloader",
                "options", Map.of("url", "https://example.com/v"), "ts", System.currentTimeMillis()));
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), "tells the client when to retry");
        assertTrue(String.valueOf(json(r).get("error")).startsWith("job state could not be"), r.body());
        Map<String, Object> cb = new LinkedHashMap<>();
        cb.put("jobId", known);
        cb.put("status", "running");
        cb.put("progress", 0.5);
        cb.put("ts", System.currentTimeMillis());
        cb.put("nonce", UUID.randomUUID().toString());
        HttpResponse<String> callback = a.postSigned("/callbacks/container", cb);
        assertEquals(503, callback.statusCode(), "a runner's callback that could not be recorded is retried: " + callback.body());
        try (EmbeddedS3 again = EmbeddedS3.starting(dataDir.resolve("bucket"), s3Port, s3.accessKey(), s3.secretKey()).await()) {
            Thread.sleep(500);
            assertEquals(1, runner.requests("/render").size(), "nothing else dispatched");
            assertEquals(List.of(JobKeys.STATE_PREFIX + known + ".json"), a.app.storage().list(JobKeys.STATE_PREFIX), "no record of the refused job");
            assertEquals(200, a.postSigned("/callbacks/container", cb).statusCode(), "the runner's retry is taken, not a duplicate");
        }
    }

    @Test
    void proxyCredentialsAreNotAtRestAndStillReachTheRunnerAfterARestart() throws Exception {
        runner.answer("/render", 503, "{\"error\":\"down\"}"); // the runner is down: the job waits, queued
        a = startA();
        Map<String, Object> options = Map.of("url", "https://example.com/v",
                "proxy", Map.of("protocol", "http", "server", "proxy.example", "port", 8080, "username", "u", "password", "hunter2-at-rest"));
        HttpResponse<String> r = a.postSigned("/jobs", Map.of("mediaId", "sec1", "engine", "media-downloader", "options", options,
                "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        String jobId = (String) json(r).get("jobId");
        byte[] raw = a.app.storage().getSmall(JobKeys.STATE_PREFIX + jobId + ".json").orElseThrow().data();
        assertFalse(new String(raw, StandardCharsets.UTF_8).contains("hunter2"), "the record holds no password");
        assertFalse(a.get("/jobs/" + jobId).body().contains("hunter2"));
        a.close();
        runnerAccepts();
        a = startA();
        Wait.until("the dispatch after the restart", Duration.ofSeconds(30), () -> runner.requests("/render").stream()
                .anyMatch(q -> q.bodyText().contains("hunter2-at-rest") && q.bodyText().contains(jobId)));
    }

    @Test
    void aCancelDuringAnInFlightDispatchReachesTheRunner() throws Exception {
        CountDownLatch canceled = new CountDownLatch(1);
        runner.on("/render", ex -> {
            runner.record(ex);
            try {
                canceled.await(20, TimeUnit.SECONDS); // the runner takes its time to answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
        });
        a = startA();
        next.media("cx1", "source", "v".getBytes()).media("cx1", "subtitles", "WEBVTT\n".getBytes());
        var submitted = background.submit(() -> a.postSigned("/jobs", Map.of("mediaId", "cx1", "engine", "burner-ffmpeg",
                "ts", System.currentTimeMillis())));
        Wait.until("the dispatch in flight", Duration.ofSeconds(20), () -> !runner.requests("/render").isEmpty());
        String jobId = (String) Json.parseObject(runner.requests("/render").get(0).body()).get("jobId");
        HttpResponse<String> cancel = a.postSigned("/jobs/" + jobId + "/cancel", Map.of("ts", System.currentTimeMillis()));
        assertEquals(200, cancel.statusCode(), cancel.body());
        canceled.countDown();
        assertEquals(202, submitted.get(30, TimeUnit.SECONDS).statusCode());
        Wait.until("the runner told to stop", Duration.ofSeconds(10), () -> !runner.requests("/cancel/" + jobId).isEmpty());
        assertEquals("canceled", status(a, jobId));
    }
}
