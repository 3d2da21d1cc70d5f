package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.AppStandIn;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import java.io.IOException;

/**
 * The orchestrator restarts (its Camel context stopped, a new one started on the same bucket and
 * port) while a runner is still working: the job still completes and the app hears once.
 */
@IntegrationTest
class RestartTest {
    private final Path dataDir = TestServers.tempDir("mo-restart");
    /**
     * 0 until the first start picks a free port (tried again on another when a parallel test takes
     * it first); the restarts keep it, as the runner's URLs name it.
     */
    private int port;
    private final ExecutorService background = Executors.newCachedThreadPool();
    private final HttpClient http = HttpClient.newHttpClient();
    private final byte[] output = new byte[400_000];
    private AppStandIn next;
    private StubHttpServer runner;
    private RunningApp app;

    @AfterEach
    void cleanup() {
        if (app != null) {
            app.close();
        }
        if (runner != null) {
            runner.close();
        }
        if (next != null) {
            next.close();
        }
        background.shutdownNow();
        TestServers.deleteRecursively(dataDir);
    }

    private RunningApp startApp() throws Exception {
        RunningApp started = RunningApp.start(env());
        port = started.base.getPort();
        return started;
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        if (port != 0) {
            env.put("PORT", String.valueOf(port));
        }
        env.put("DATA_DIR", dataDir.toString());
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("CONTAINER_BASE_URL", runner.base().toString());
        env.put("COMPLETION_POLL_INTERVAL_MS", "300");
        return env;
    }

    /** A runner that accepts, waits for {@code go}, then uploads its output (retrying while the orchestrator is down). */
    private void runnerThatUploadsAfter(CountDownLatch go) {
        new Random(3).nextBytes(output);
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            Map<String, Object> p = Json.parseObject(runner.record(ex).body());
            StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
            background.submit(() -> {
                go.await(60, TimeUnit.SECONDS);
                for (int i = 0; i < 200; i++) {
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create((String) p.get("outputPutUrl")))
                                .header("content-type", "video/mp4").PUT(HttpRequest.BodyPublishers.ofByteArray(output)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            return true;
                        }
                    } catch (IOException notUp) {
                        // the orchestrator is restarting
                    }
                    Thread.sleep(100);
                }
                return false;
            });
        });
    }

    private String submit() throws Exception {
        next.media("rs1", "source", "v".getBytes()).media("rs1", "subtitles", "WEBVTT\n".getBytes());
        HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "rs1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    @Test
    void aJobRunningAcrossARestartCompletesWithOneCallback() throws Exception {
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        CountDownLatch go = new CountDownLatch(1);
        runnerThatUploadsAfter(go);
        app = startApp();
        String jobId = submit();
        Wait.until("dispatch", Duration.ofSeconds(20), () -> !runner.requests("/render").isEmpty());
        app.close();
        app = startApp();
        go.countDown();
        Wait.until("the callback", Duration.ofSeconds(60), () -> !next.acceptedFor(jobId).isEmpty());
        Thread.sleep(1000);
        assertEquals(1, next.acceptedFor(jobId).size());
        assertEquals("completed", next.acceptedFor(jobId).get(0).get("status"));
        assertEquals("completed", json(app.get("/jobs/" + jobId)).get("status"), "the restarted service answers for the job");
        assertEquals(1, runner.requests("/render").size(), "not dispatched again");
    }

    @Test
    void anUndeliveredCallbackIsDeliveredOnceAfterARestart() throws Exception {
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        next.failNext.set(1_000_000); // the app is down: every callback refused
        CountDownLatch go = new CountDownLatch(1);
        go.countDown();
        runnerThatUploadsAfter(go);
        app = startApp();
        String jobId = submit();
        Wait.until("a refused callback", Duration.ofSeconds(30),
                () -> next.attempts.stream().anyMatch(m -> jobId.equals(m.get("jobId"))));
        app.close();
        next.failNext.set(0); // the app is back
        app = startApp();
        Wait.until("the callback", Duration.ofSeconds(60), () -> !next.acceptedFor(jobId).isEmpty());
        Thread.sleep(1000);
        assertEquals(1, next.acceptedFor(jobId).size());
        assertEquals(1, next.attempts.stream().filter(m -> jobId.equals(m.get("jobId"))).map(m -> m.get("nonce")).distinct().count(),
                "the same nonce before and after the restart");
        app.awaitDeliveryRecorded(jobId);
    }
}
